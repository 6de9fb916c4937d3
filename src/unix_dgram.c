/*
** unix_dgram.c
** The binding of Unix-domain datagram sockets (AF_UNIX, SOCK_DGRAM) for
** ludp/unix_socket.lua. libuv's uv_udp_t cannot carry AF_UNIX, so a
** socket is its own non-blocking descriptor watched by a uv_poll_t:
** readable -> the datagrams waiting are read with recvmsg and delivered
** to Lua under one protected call per batch (as udp_recv.c does);
** sendmsg at once, and on EAGAIN a copy waits in a queue, in order, until
** the socket is writable (connected) or a retry timer fires (unconnected:
** the kernel reports such a socket writable even while the peer's queue
** is full, so waiting for POLLOUT would spin). The file a bind created is
** removed when the socket closes, if it is still that file. Each path
** counts into the socket's counts for stats(), as udp.c's do.
**
** The contract with Lua is udp.c's: core.unix_dgram(owner) -> status,
** box; set_onmessage(fn); recv_start(onerror) with onerror(owner,
** status); send(data, path, on_sent) -> 0 sent / 1 queued (on_sent(status)
** follows, in order) / negative failed; set_paused(flag) and stats() as
** udp.c's. A path is the Lua string itself, "@name" for the abstract
** namespace; Lua checks it first.
*/

#define _GNU_SOURCE
#include <errno.h>
#include <linux/sock_diag.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ludp.h"

static const char UNIX_T[] = "ludp.unix_dgram";

/* The user values of a box (see udp.h for why there). */
enum {
  UX_UV_ONMESSAGE = 1, /* onmessage(msg, rinfo), or nil */
  UX_UV_OWNER,         /* the Lua object callbacks get first */
  UX_UV_ONSENT,        /* on_sent(status) of the queued sends */
  UX_UV_PEER,          /* the path string of the last sender ('from') */
  UX_NUV = UX_UV_PEER
};

/* Datagrams read per protected call; more wait for the next wakeup. */
#define UX_BATCH 32

/* The receive buffer, shared by every socket (a batch is consumed at
** once). Larger than the largest datagram Linux lets a sender make with
** the default limits (twice net.core.wmem_max); a longer one arrives cut,
** with rinfo.truncated. Pages never written cost no memory. */
#define UX_BUF (512 * 1024)
static char ux_buf[UX_BUF];

/* The retry delays of a queue to an unconnected peer, in ms. */
#define RETRY_FIRST 1
#define RETRY_MAX 64

#define PIECES_MAX 64

/* A socket's counts since its creation, for stats(); the fields of
** udp.c's that a unix socket can have (no block lists). */
typedef struct {
  uint64_t received, received_bytes;
  uint64_t sent, sent_bytes, send_errors;
  uint64_t truncated;
} ux_counts;

typedef struct ux_queued {
  struct ux_queued *next;
  size_t len;
  socklen_t alen; /* 0: to the connected peer */
  struct sockaddr_un to;
  char data[];
} ux_queued;

typedef struct {
  int fd;
  int events;              /* what the poll watches now */
  unsigned char receiving; /* recv_start was called */
  unsigned char writable;  /* the queue waits for POLLOUT */
  unsigned char paused;    /* pause(): not reading until resume() */
  ux_queued *head, *tail;  /* the queue */
  size_t queued_bytes;
  unsigned queued;
  uv_timer_t *retry; /* malloc'd: it closes on its own */
  unsigned backoff;  /* the next retry's delay, ms; 0 when none waits */
  char *bound;       /* the file bind created, or NULL */
  dev_t dev;
  ino_t ino;
  socklen_t fromlen; /* the last sender (UX_UV_PEER is its path) */
  struct sockaddr_un from;
  ux_counts counts;
} ux_extra;

#define UX_SIZE (sizeof(uv_poll_t) + sizeof(ux_extra))

static ux_extra *ux_of (ludp_handle *lh) {
  return (ux_extra *)((char *)lh->h + sizeof(uv_poll_t));
}

static int push_status (lua_State *L, int status) {
  lua_pushinteger(L, status);
  return 1;
}

static int sys_error (void) {
  return uv_translate_sys_error(errno);
}


/* ------------------------------------------------------------ addresses */

/* The address of the path at 'idx' ("@name": abstract); raises for what
** Lua should have refused. Returns its length. */
static socklen_t check_path (lua_State *L, int idx, struct sockaddr_un *sun) {
  size_t len;
  const char *s = luaL_checklstring(L, idx, &len);
  memset(sun, 0, sizeof *sun);
  sun->sun_family = AF_UNIX;
  luaL_argcheck(L, len > 0 && len < sizeof sun->sun_path, idx,
                "path length out of range");
  if (s[0] == '@') {
    luaL_argcheck(L, len > 1, idx, "empty abstract name");
    memcpy(sun->sun_path + 1, s + 1, len - 1);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  }
  luaL_argcheck(L, strlen(s) == len, idx, "path contains a NUL");
  memcpy(sun->sun_path, s, len);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

/* Pushes the path of an address: "" for an unnamed socket, "@name" for
** an abstract one. */
static void push_path (lua_State *L, const struct sockaddr_un *sun,
                       socklen_t alen) {
  size_t off = offsetof(struct sockaddr_un, sun_path), n;
  if (alen <= off || sun->sun_family != AF_UNIX) {
    lua_pushliteral(L, "");
    return;
  }
  n = alen - off;
  if (n > sizeof sun->sun_path) n = sizeof sun->sun_path;
  if (sun->sun_path[0] == '\0') {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addchar(&b, '@');
    luaL_addlstring(&b, sun->sun_path + 1, n - 1);
    luaL_pushresult(&b);
    return;
  }
  lua_pushlstring(L, sun->sun_path, strnlen(sun->sun_path, n));
}


/* ------------------------------------------------------------- polling */

static void on_poll (uv_poll_t *p, int status, int events);

/* Watches what the socket waits for: readable while receiving and not
** paused, writable while the queue waits for it. */
static int update_poll (ludp_handle *lh) {
  ux_extra *x = ux_of(lh);
  int events = 0, r = 0;
  if (lh->closing) return 0;
  if (x->receiving && !x->paused) events |= UV_READABLE;
  if (x->writable) events |= UV_WRITABLE;
  if (events == x->events) return 0;
  if (events == 0)
    r = uv_poll_stop((uv_poll_t *)lh->h);
  else
    r = uv_poll_start((uv_poll_t *)lh->h, events, on_poll);
  if (r == 0) x->events = events;
  return r;
}

/* The box stays reachable while it receives or has sends waiting. */
static void maybe_release (ludp_handle *lh) {
  ux_extra *x = ux_of(lh);
  if (!x->receiving && x->head == NULL && !lh->closing)
    ludp_handle_unanchor(lh->L, lh);
}

/* Pushes the box's user value 'uv' through its anchor; 0 (nothing
** pushed) when the box is gone. */
static int push_uservalue (lua_State *L, ludp_handle *lh, int uv) {
  if (lh->collected || lh->self_ref == LUA_NOREF) return 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, lh->self_ref);
  lua_getiuservalue(L, -1, uv);
  lua_remove(L, -2);
  return 1;
}

/* Calls onerror(owner, status) under its own protected call. */
static void report_failure (ludp_handle *lh, int status) {
  lua_State *L = lh->L;
  if (lh->cb_ref == LUA_NOREF || !push_uservalue(L, lh, UX_UV_OWNER)) return;
  lua_rawgeti(L, LUA_REGISTRYINDEX, lh->cb_ref);
  lua_insert(L, -2);
  lua_pushinteger(L, status);
  ludp_call(L, 2);
}


/* ----------------------------------------------------------------- sends */

static void retry_cb (uv_timer_t *t);

/* Waits for the queue's head to be sendable again. */
static void arm (ludp_handle *lh) {
  ux_extra *x = ux_of(lh);
  if (x->head->alen == 0) { /* connected: POLLOUT follows the peer */
    x->writable = 1;
    update_poll(lh);
    return;
  }
  x->writable = 0;
  update_poll(lh);
  x->backoff = x->backoff == 0 ? RETRY_FIRST : x->backoff * 2;
  if (x->backoff > RETRY_MAX) x->backoff = RETRY_MAX;
  if (uv_has_ref(lh->h))
    uv_ref((uv_handle_t *)x->retry);
  else
    uv_unref((uv_handle_t *)x->retry);
  uv_timer_start(x->retry, retry_cb, x->backoff, 0);
}

/* sendmsg of iov[0..n) to 'to' (alen 0: the peer); 0 or a status. */
static int send_now (int fd, struct iovec *iov, int n,
                     const struct sockaddr_un *to, socklen_t alen) {
  struct msghdr m;
  ssize_t r;
  memset(&m, 0, sizeof m);
  if (alen > 0) {
    m.msg_name = (void *)to;
    m.msg_namelen = alen;
  }
  m.msg_iov = iov;
  m.msg_iovlen = (size_t)n;
  do
    r = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? sys_error() : 0;
}

/* Sends what waits, in order, until the kernel says EAGAIN; each sent or
** refused one tells on_sent(status), under its own protected call. */
static void flush_queue (ludp_handle *lh) {
  ux_extra *x = ux_of(lh);
  lua_State *L = lh->L;
  while (x->head != NULL && !lh->closing) {
    ux_queued *s = x->head;
    struct iovec iov;
    int r;
    iov.iov_base = s->data;
    iov.iov_len = s->len;
    r = send_now(x->fd, &iov, 1, &s->to, s->alen);
    if (r == UV_EAGAIN) {
      arm(lh);
      return;
    }
    if (r == 0) {
      x->counts.sent++;
      x->counts.sent_bytes += s->len;
    }
    else
      x->counts.send_errors++;
    x->head = s->next;
    if (x->head == NULL) x->tail = NULL;
    x->queued--;
    x->queued_bytes -= s->len;
    x->backoff = 0;
    free(s);
    if (push_uservalue(L, lh, UX_UV_ONSENT)) {
      lua_pushinteger(L, r);
      ludp_call(L, 1);
    }
  }
  if (lh->closing) return;
  x->writable = 0;
  update_poll(lh);
  uv_timer_stop(x->retry);
  maybe_release(lh);
}

static void retry_cb (uv_timer_t *t) {
  flush_queue(t->data);
}

/* Copies a datagram into the queue; 0 or UV_ENOMEM. */
static int enqueue (ludp_handle *lh, struct iovec *iov, int n, size_t total,
                    const struct sockaddr_un *to, socklen_t alen) {
  ux_extra *x = ux_of(lh);
  ux_queued *s = malloc(sizeof *s + (total > 0 ? total : 1));
  size_t off = 0;
  int i;
  if (s == NULL) return UV_ENOMEM;
  s->next = NULL;
  s->len = total;
  s->alen = alen;
  if (alen > 0) memcpy(&s->to, to, sizeof s->to);
  for (i = 0; i < n; i++) {
    memcpy(s->data + off, iov[i].iov_base, iov[i].iov_len);
    off += iov[i].iov_len;
  }
  if (x->tail != NULL)
    x->tail->next = s;
  else
    x->head = s;
  x->tail = s;
  x->queued++;
  x->queued_bytes += total;
  return 0;
}

/*
** u:send(data, path|nil, on_sent) -> status[, bytes]. data is a string or
** an array of at most 64 strings (Lua checked it); path nil sends to the
** connected peer. 0, bytes: sent. 1: queued behind others or for EAGAIN,
** on_sent(status) follows. Negative: failed.
*/
static int ux_send (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  ux_extra *x = ux_of(lh);
  struct iovec iov[PIECES_MAX];
  struct sockaddr_un to;
  socklen_t alen = 0;
  size_t total = 0, len;
  int n = 0, r;
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_Integer i, count = (lua_Integer)lua_rawlen(L, 2);
    luaL_argcheck(L, count <= PIECES_MAX, 2, "too many pieces");
    for (i = 1; i <= count; i++) {
      lua_rawgeti(L, 2, i);
      iov[n].iov_base = (void *)luaL_checklstring(L, -1, &len);
      iov[n++].iov_len = len; /* kept alive by the table at 2 */
      total += len;
      lua_pop(L, 1);
    }
  }
  else {
    iov[0].iov_base = (void *)luaL_checklstring(L, 2, &len);
    iov[0].iov_len = len;
    total = len;
    n = 1;
  }
  if (!lua_isnoneornil(L, 3)) alen = check_path(L, 3, &to);
  luaL_checktype(L, 4, LUA_TFUNCTION);
  r = x->head != NULL ? UV_EAGAIN : send_now(x->fd, iov, n, &to, alen);
  if (r == 0) {
    x->counts.sent++;
    x->counts.sent_bytes += total;
    lua_pushinteger(L, 0);
    lua_pushinteger(L, (lua_Integer)total);
    return 2;
  }
  if (r == UV_EAGAIN) r = enqueue(lh, iov, n, total, &to, alen);
  if (r != 0) {
    x->counts.send_errors++;
    return push_status(L, r);
  }
  lua_pushvalue(L, 4);
  lua_setiuservalue(L, 1, UX_UV_ONSENT);
  ludp_handle_anchor(L, lh, 1);
  if (x->head == x->tail) arm(lh); /* the first: nothing waits yet */
  return push_status(L, 1);
}


/* ------------------------------------------------------------- receive */

/* Pushes the path of sender 'sun', reusing the last one's string (the
** box's UX_UV_PEER; the box is at 1) when it is the same sender: a path
** longer than Lua's short strings would be a new string each time. */
static void push_peer (lua_State *L, ux_extra *x, const struct sockaddr_un *sun,
                       socklen_t alen) {
  if (alen == x->fromlen && alen > 0 && memcmp(sun, &x->from, alen) == 0) {
    if (lua_getiuservalue(L, 1, UX_UV_PEER) == LUA_TSTRING) return;
    lua_pop(L, 1);
  }
  push_path(L, sun, alen);
  x->fromlen = alen <= sizeof x->from ? alen : 0;
  if (x->fromlen > 0) memcpy(&x->from, sun, x->fromlen);
  lua_pushvalue(L, -1);
  lua_setiuservalue(L, 1, UX_UV_PEER);
}

static const char deliver_key = 0; /* registry key of deliver_batch */

/* Protected, with the box at 1 (anything else is ignored: the function is
** in the registry, which a script can reach), the name "unix" as upvalue
** 1 and the boxes' metatable as upvalue 2: reads up
** to UX_BATCH datagrams, each handed to onmessage(msg, rinfo) (dropped
** when there is none), what follows a callback after each. A read error
** goes to onerror(owner, status). */
static int deliver_batch (lua_State *L) {
  ludp_handle *lh = ludp_handle_test(L, 1, lua_upvalueindex(2));
  ludp_handle **box = lh != NULL ? lh->box : NULL;
  int i;
  for (i = 0; i < UX_BATCH; i++) {
    ux_extra *x;
    struct sockaddr_un from;
    struct msghdr m;
    struct iovec iov;
    ssize_t n;
    if (lh == NULL || lh->closing || lh->collected || ludp_failed()) break;
    x = ux_of(lh);
    if (!x->receiving || x->paused) break; /* the rest wait in the kernel */
    iov.iov_base = ux_buf;
    iov.iov_len = sizeof ux_buf;
    memset(&m, 0, sizeof m);
    m.msg_name = &from;
    m.msg_namelen = sizeof from;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    do
      n = recvmsg(x->fd, &m, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      int status = sys_error();
      if (status == UV_EAGAIN) break;
      if (lh->cb_ref == LUA_NOREF) break;
      lua_rawgeti(L, LUA_REGISTRYINDEX, lh->cb_ref);
      lua_getiuservalue(L, 1, UX_UV_OWNER);
      lua_pushinteger(L, status);
      lua_call(L, 2, 0);
      ludp_after_callback(L);
      break;
    }
    x->counts.received++;
    x->counts.received_bytes += (uint64_t)n;
    if (m.msg_flags & MSG_TRUNC) x->counts.truncated++;
    if (lua_getiuservalue(L, 1, UX_UV_ONMESSAGE) == LUA_TNIL) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushlstring(L, ux_buf, (size_t)n);
    lua_createtable(L, 0, 4);
    push_peer(L, x, &from, m.msg_namelen);
    lua_setfield(L, -2, "address");
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_setfield(L, -2, "family");
    lua_pushinteger(L, (lua_Integer)n);
    lua_setfield(L, -2, "size");
    if (m.msg_flags & MSG_TRUNC) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "truncated");
    }
    lua_call(L, 2, 0);
    ludp_after_callback(L);
    lh = *box; /* NULL once collected */
  }
  return 0;
}

static void on_poll (uv_poll_t *p, int status, int events) {
  ludp_handle *lh = p->data;
  ux_extra *x = ux_of(lh);
  lua_State *L = lh->L;
  if (status < 0) {
    report_failure(lh, status);
    return;
  }
  if ((events & UV_WRITABLE) && x->head != NULL) flush_queue(lh);
  if ((events & UV_READABLE) && x->receiving && !lh->closing &&
      lh->self_ref != LUA_NOREF && !ludp_failed()) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &deliver_key);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lh->self_ref); /* the box */
    ludp_call(L, 1);
  }
}

/* u:recv_start(onerror) -> status; the box stays until close. */
static int ux_recv_start (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  ux_extra *x = ux_of(lh);
  int r;
  luaL_checktype(L, 2, LUA_TFUNCTION);
  x->receiving = 1;
  r = update_poll(lh);
  if (r != 0) {
    x->receiving = 0;
    return push_status(L, r);
  }
  ludp_ref_set(L, &lh->cb_ref, 2);
  ludp_handle_anchor(L, lh, 1);
  return push_status(L, 0);
}

/* u:recv_stop() -> status */
static int ux_recv_stop (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  ux_of(lh)->receiving = 0;
  update_poll(lh);
  maybe_release(lh);
  return push_status(L, 0);
}

/* u:set_paused(flag) -> status: pause() and resume(). A socket paused
** before recv_start starts paused. */
static int ux_set_paused (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  ux_extra *x = ux_of(lh);
  x->paused = (unsigned char)lua_toboolean(L, 2);
  return push_status(L, update_poll(lh));
}

/* u:set_onmessage(fn) -> 0, as udp.c's. */
static int ux_set_onmessage (lua_State *L) {
  return ludp_handle_set_onmessage(L, UX_UV_ONMESSAGE);
}


/* ----------------------------------------------------- bind and connect */

/* u:bind(path|nil) -> status. nil: the kernel picks an abstract name. */
static int ux_bind (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  ux_extra *x = ux_of(lh);
  struct sockaddr_un sun;
  socklen_t alen;
  struct stat st;
  if (lua_isnoneornil(L, 2)) {
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    alen = sizeof(sa_family_t);
  }
  else
    alen = check_path(L, 2, &sun);
  if (bind(x->fd, (struct sockaddr *)&sun, alen) != 0)
    return push_status(L, sys_error());
  if (alen > sizeof(sa_family_t) && sun.sun_path[0] != '\0' &&
      stat(sun.sun_path, &st) == 0) {
    x->bound = strdup(sun.sun_path);
    x->dev = st.st_dev;
    x->ino = st.st_ino;
  }
  return push_status(L, 0);
}

/* u:connect(path|nil) -> status. nil dissolves the association. */
static int ux_connect (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  struct sockaddr_un sun;
  socklen_t alen;
  int r;
  if (lua_isnoneornil(L, 2)) {
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNSPEC;
    alen = sizeof sun;
  }
  else
    alen = check_path(L, 2, &sun);
  do
    r = connect(ux_of(lh)->fd, (struct sockaddr *)&sun, alen);
  while (r != 0 && errno == EINTR);
  return push_status(L, r != 0 ? sys_error() : 0);
}

typedef int (*name_fn)(int, struct sockaddr *, socklen_t *);

static int push_name (lua_State *L, name_fn fn) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  struct sockaddr_un sun;
  socklen_t alen = sizeof sun;
  memset(&sun, 0, sizeof sun);
  if (fn(ux_of(lh)->fd, (struct sockaddr *)&sun, &alen) != 0)
    return push_status(L, sys_error());
  lua_pushinteger(L, 0);
  push_path(L, &sun, alen);
  return 2;
}

/* u:getsockname() -> status, path ("" when unnamed) */
static int ux_getsockname (lua_State *L) {
  return push_name(L, getsockname);
}

/* u:getpeername() -> status, path */
static int ux_getpeername (lua_State *L) {
  return push_name(L, getpeername);
}


/* ------------------------------------------------------------- options */

/* u:buffer_size("recv"|"send"[, n]) -> status, size, as udp.c's: with n >
** 0 it sets; the kernel's (doubled) value is returned either way. */
static int ux_buffer_size (lua_State *L) {
  static const char *const which[] = {"recv", "send", NULL};
  ludp_handle *lh = ludp_handle_check(L, 1);
  int opt = luaL_checkoption(L, 2, NULL, which) == 0 ? SO_RCVBUF : SO_SNDBUF;
  lua_Integer set = luaL_optinteger(L, 3, 0);
  int v;
  socklen_t len = sizeof v;
  luaL_argcheck(L, set >= 0 && set <= 0x7fffffff, 3, "size out of range");
  v = (int)set;
  if (set > 0 && setsockopt(ux_of(lh)->fd, SOL_SOCKET, opt, &v, sizeof v))
    return push_status(L, sys_error());
  if (getsockopt(ux_of(lh)->fd, SOL_SOCKET, opt, &v, &len) != 0)
    return push_status(L, sys_error());
  lua_pushinteger(L, 0);
  lua_pushinteger(L, v);
  return 2;
}

/* u:send_queue() -> size, count */
static int ux_send_queue (lua_State *L) {
  ux_extra *x = ux_of(ludp_handle_check(L, 1));
  lua_pushinteger(L, (lua_Integer)x->queued_bytes);
  lua_pushinteger(L, (lua_Integer)x->queued);
  return 2;
}

/* The kernel's count of datagrams it dropped for the socket (sk_drops,
** read with SO_MEMINFO, as udp.c does). Linux answers it for AF_UNIX,
** but its unix sockets drop nothing for a full queue (the sender waits:
** EAGAIN) and do not count what a socket filter drops, so it is 0 there
** today; read all the same, for a kernel that counts. */
static lua_Integer kernel_drops (int fd) {
#ifdef SO_MEMINFO
  uint32_t mem[SK_MEMINFO_VARS];
  socklen_t len = sizeof mem;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 &&
      len > SK_MEMINFO_DROPS * sizeof mem[0])
    return (lua_Integer)mem[SK_MEMINFO_DROPS];
#endif
  (void)fd;
  return 0;
}

/* u:stats() -> a new table of the socket's counts, with udp.c's fields
** (blocked always 0: no block lists here). */
static int ux_stats (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  ux_extra *x = ux_of(lh);
  const ux_counts *c = &x->counts;
  lua_createtable(L, 0, 8);
#define COUNT(value, name)                  \
  lua_pushinteger(L, (lua_Integer)(value)); \
  lua_setfield(L, -2, name)
  COUNT(c->received, "received");
  COUNT(c->received_bytes, "receivedBytes");
  COUNT(c->sent, "sent");
  COUNT(c->sent_bytes, "sentBytes");
  COUNT(c->send_errors, "sendErrors");
  COUNT(c->truncated, "truncated");
  COUNT(0, "blocked");
  COUNT(kernel_drops(x->fd), "kernelDrops");
#undef COUNT
  return 1;
}

/* u:fileno() -> status, fd */
static int ux_fileno (lua_State *L) {
  lua_pushinteger(L, 0);
  lua_pushinteger(L, ux_of(ludp_handle_check(L, 1))->fd);
  return 2;
}


/* ------------------------------------------------------------ lifetime */

static void free_timer (uv_handle_t *t) {
  free(t);
}

/* Before uv_close (close() or __gc): the poll stops watching the
** descriptor before it is closed; the file bind made goes, unless
** another has taken its place. */
static void ux_on_close (ludp_handle *lh) {
  ux_extra *x = ux_of(lh);
  struct stat st;
  uv_poll_stop((uv_poll_t *)lh->h);
  x->events = 0;
  uv_close((uv_handle_t *)x->retry, free_timer);
  x->retry = NULL;
  if (x->fd >= 0) close(x->fd);
  x->fd = -1;
  if (x->bound != NULL) {
    if (stat(x->bound, &st) == 0 && st.st_dev == x->dev &&
        st.st_ino == x->ino && S_ISSOCK(st.st_mode))
      unlink(x->bound);
    free(x->bound);
    x->bound = NULL;
  }
}

/* Once closed: the sends still queued are cancelled, their on_sent told
** (not when collected: no Lua then). */
static void ux_on_free (ludp_handle *lh) {
  ux_extra *x = ux_of(lh);
  lua_State *L = lh->L;
  int tell = !lh->collected && push_uservalue(L, lh, UX_UV_ONSENT);
  while (x->head != NULL) {
    ux_queued *s = x->head;
    x->head = s->next;
    free(s);
    if (tell) {
      lua_pushvalue(L, -1);
      lua_pushinteger(L, UV_ECANCELED);
      ludp_call(L, 1);
    }
  }
  if (tell) lua_pop(L, 1);
  x->tail = NULL;
  x->queued = 0;
  x->queued_bytes = 0;
}

/* Undoes a box that ux_new could not finish; its __gc finds nothing. */
static int new_failed (lua_State *L, ludp_handle *lh, int status) {
  *lh->box = NULL;
  free(lh);
  return push_status(L, status);
}

/* core.unix_dgram([owner]) -> status, box: a new unbound socket. The box
** first: making it may raise, and nothing else is held yet. */
static int ux_new (lua_State *L) {
  ludp_handle *lh;
  ux_extra *x;
  int r;
  lua_settop(L, 1);
  lh = ludp_handle_new(L, UNIX_T, UX_SIZE, UX_NUV);
  x = ux_of(lh);
  x->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (x->fd < 0) return new_failed(L, lh, sys_error());
  x->retry = malloc(sizeof *x->retry);
  if (x->retry == NULL) {
    close(x->fd);
    return new_failed(L, lh, UV_ENOMEM);
  }
  r = uv_poll_init(ludp_loop(), (uv_poll_t *)lh->h, x->fd);
  if (r != 0) {
    close(x->fd);
    free(x->retry);
    return new_failed(L, lh, r);
  }
  uv_timer_init(ludp_loop(), x->retry); /* cannot fail */
  x->retry->data = lh;
  lh->on_close = ux_on_close;
  lh->on_free = ux_on_free;
  if (!lua_isnil(L, 1)) {
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, 2, UX_UV_OWNER);
  }
  lua_pushinteger(L, 0);
  lua_insert(L, 2);
  return 2;
}


static const luaL_Reg ux_methods[] = {
  {"bind", ux_bind},
  {"connect", ux_connect},
  {"recv_start", ux_recv_start},
  {"recv_stop", ux_recv_stop},
  {"set_paused", ux_set_paused},
  {"set_onmessage", ux_set_onmessage},
  {"send", ux_send},
  {"getsockname", ux_getsockname},
  {"getpeername", ux_getpeername},
  {"buffer_size", ux_buffer_size},
  {"send_queue", ux_send_queue},
  {"stats", ux_stats},
  {"fileno", ux_fileno},
  {NULL, NULL},
};

/* Adds core.unix_dgram to the table on top. */
void ludp_open_unix_dgram (lua_State *L) {
  ludp_handle_type(L, UNIX_T, ux_methods);
  lua_pushliteral(L, "unix");
  luaL_getmetatable(L, UNIX_T);
  lua_pushcclosure(L, deliver_batch, 2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &deliver_key);
  lua_pushcfunction(L, ux_new);
  lua_setfield(L, -2, "unix_dgram");
}
