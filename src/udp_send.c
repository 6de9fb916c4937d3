/*
** udp_send.c
** Sending on UDP sockets: u:send, the reply batcher and Socket.send's
** reply form done in C. A send tries uv_udp_try_send straight from the
** string's bytes and queues a copy in libuv only when the kernel says
** EAGAIN. A reply made while a receive batch of several datagrams is
** delivered (no callback, nothing queued in libuv) joins the reply batch,
** its string kept alive rather than copied; the batch leaves with one
** sendmmsg when the receive batch has been delivered, or before anything
** else is done with the socket, replies in a row to one peer as one
** UDP_SEGMENT message. Each path counts what it sent and what failed in
** the socket's counts. (reply() with recvInfo: udp_reply.c.)
*/

#define _GNU_SOURCE /* sendmmsg */
#include <errno.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "udp.h"

#define B (ludp_udp.batch)
#define PATHS (ludp_udp.paths)
#define GSO (ludp_udp.batch.gso)

#define EXIT_WAIT_MS 200 /* at exit, how long a full socket is waited for */

typedef struct {
  uv_udp_send_t req;
  ludp_handle *lh;
  int cb_ref;       /* cb(status), or LUA_NOREF */
  int batched;      /* a batched reply: a failure is an 'error' */
  ludp_sockaddr to; /* its destination, for that error */
  size_t len;       /* its bytes, for the counts */
  char data[1];
} send_req;


/* -------------------------------------------------------------- failures */

/*
** Reports the failure of a batched reply to 'to' (it had no callback) as
** the socket's onerror(owner, status, "send", address, port), on the next
** tick: never inside the call that flushed. Whoever calls this from a
** libuv callback runs the tick queue after it.
*/
void udp_report_send_error (ludp_handle *lh, int status,
                            const struct sockaddr *to) {
  lua_State *L = lh->L;
  udp_extra_of(lh)->counts.send_errors++;
  if (B.exiting || !udp_push_onerror(L, lh)) return;
  lua_pushinteger(L, status);
  lua_pushliteral(L, "send");
  ludp_push_sockaddr(L, to);
  lua_pop(L, 1); /* the family */
  ludp_next_tick(L, 5);
}

static void on_send (uv_udp_send_t *req, int status) {
  send_req *sr = req->data;
  ludp_handle *lh = sr->lh;
  if (!lh->collected) {
    udp_counts *c = &udp_extra_of(lh)->counts;
    if (status >= 0) {
      c->sent++;
      c->sent_bytes += sr->len;
    }
    else if (status != UV_ECANCELED &&
             (sr->cb_ref != LUA_NOREF || !sr->batched))
      c->send_errors++; /* report_send_error counts the batched ones */
  }
  if (sr->cb_ref != LUA_NOREF && !lh->collected) {
    lua_State *L = lh->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, sr->cb_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, sr->cb_ref);
    lua_pushinteger(L, status);
    ludp_call(L, 1);
  }
  else if (sr->batched && status < 0 && status != UV_ECANCELED) {
    udp_report_send_error(lh, status, &sr->to.sa);
    if (!lh->collected && lh->L != NULL) ludp_after_callback(lh->L);
  }
  free(sr);
}

/* Queues a copy of the datagram in libuv's send queue; 0 or a status. */
static int queue_copy (ludp_handle *lh, const uv_buf_t *bufs, int n,
                       size_t total, const struct sockaddr *sa,
                       send_req **out) {
  send_req *sr = malloc(sizeof(send_req) + total);
  uv_buf_t one;
  size_t off = 0;
  int k, r;
  if (sr == NULL) return UV_ENOMEM;
  for (k = 0; k < n; k++) {
    memcpy(sr->data + off, bufs[k].base, bufs[k].len);
    off += bufs[k].len;
  }
  one = uv_buf_init(sr->data, (unsigned)total);
  sr->req.data = sr;
  sr->lh = lh;
  sr->cb_ref = LUA_NOREF;
  sr->batched = 0;
  sr->len = total;
  if (sa != NULL) memcpy(&sr->to, sa, ludp_sockaddr_len(sa));
  r = uv_udp_send(&sr->req, udp_of(lh), &one, 1, sa, on_send);
  if (r != 0) {
    free(sr);
    return r;
  }
  PATHS.queued++;
  if (out) *out = sr;
  return 0;
}


/* ------------------------------------------------------- reply batches */

static int send_mmsg (uv_os_fd_t fd, struct mmsghdr *msgs, unsigned n) {
  int r;
  PATHS.sendmmsg++;
  do
    r = sendmmsg(fd, msgs, n, 0);
  while (r < 0 && errno == EINTR);
  return r;
}

/*
** Sends batched replies i..n-1 with sendmmsg, one message each. What the
** kernel cannot take now (EAGAIN) goes to libuv's queue, in order; a
** datagram the kernel refuses is reported as an 'error' and the rest
** still go.
*/
static void send_each (ludp_handle *lh, uv_os_fd_t fd, unsigned i, unsigned n) {
  udp_counts *c = &udp_extra_of(lh)->counts;
  while (i < n) {
    int r = send_mmsg(fd, B.msgs + i, n - i);
    if (r > 0) {
      unsigned end = i + (unsigned)r;
      c->sent += (unsigned)r;
      for (; i < end; i++)
        c->sent_bytes += B.aux[i].iov.iov_len;
      continue;
    }
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && B.exiting) {
      struct pollfd p = {.fd = fd, .events = POLLOUT};
      if (poll(&p, 1, EXIT_WAIT_MS) > 0) continue; /* no loop to wait in */
      break;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      for (; i < n; i++) { /* the rest waits in libuv's queue */
        send_req *sr = NULL;
        uv_buf_t one = uv_buf_init(B.aux[i].iov.iov_base,
                                   (unsigned)B.aux[i].iov.iov_len);
        int q = queue_copy(lh, &one, 1, one.len, &B.aux[i].to.sa, &sr);
        if (q == 0)
          sr->batched = 1;
        else
          udp_report_send_error(lh, q, &B.aux[i].to.sa);
      }
      break;
    }
    udp_report_send_error(lh, uv_translate_sys_error(errno), &B.aux[i].to.sa);
    i++; /* that one is lost: say so, go on */
  }
}

/*
** Replies in a row to one peer, all of one size but the last, which may
** be shorter, leave as one UDP_SEGMENT (GSO) message: the kernel routes
** and builds one packet and cuts it into the datagrams at the end, each
** as it would have been. An echo's replies to a busy client are such a
** run; replies to many peers leave one message each.
*/
#define GSO_SEGS 64     /* at most; the kernel takes 64 or more */
#define GSO_BYTES 65507 /* a packet's payload, IPv4's limit */


/* How many replies from 'i' on make one run (1: none), and their bytes. */
static unsigned run_length (unsigned i, unsigned n, size_t *total) {
  size_t size = B.aux[i].iov.iov_len;
  unsigned j = i + 1;
  *total = size;
  if (size == 0) return 1;
  while (j < n && j - i < GSO_SEGS && B.aux[j - 1].iov.iov_len == size) {
    size_t len = B.aux[j].iov.iov_len;
    if (len == 0 || len > size || *total + len > GSO_BYTES ||
        !ludp_sockaddr_same(&B.aux[j].to, &B.aux[i].to))
      break;
    *total += len;
    j++;
  }
  return j - i;
}

/* Whether errno says the kernel does not do UDP_SEGMENT for this send. */
static int gso_refused (int e) {
  return e == EINVAL || e == EIO || e == EOPNOTSUPP || e == ENOPROTOOPT ||
         e == EMSGSIZE;
}

/* Makes message g of replies i..i+c-1, a UDP_SEGMENT one when c > 1. */
static void gso_message (unsigned g, unsigned i, unsigned c) {
  struct msghdr *h = &GSO.msgs[g].msg_hdr;
  *h = B.msgs[i].msg_hdr;
  if (c > 1) {
    struct cmsghdr *cm = &GSO.ctl[g].align;
    uint16_t seg = (uint16_t)B.aux[i].iov.iov_len;
    unsigned j;
    for (j = 0; j < c; j++) /* the run's pieces, wherever they are */
      GSO.iov[i + j] = B.aux[i + j].iov;
    h->msg_iov = &GSO.iov[i];
    h->msg_iovlen = c;
    h->msg_control = GSO.ctl[g].buf;
    h->msg_controllen = sizeof GSO.ctl[g].buf;
    cm->cmsg_level = SOL_UDP;
    cm->cmsg_type = UDP_SEGMENT;
    cm->cmsg_len = CMSG_LEN(sizeof seg);
    memcpy(CMSG_DATA(cm), &seg, sizeof seg);
  }
  GSO.first[g] = i;
  GSO.count[g] = c;
}

static void count_gso (udp_counts *c, unsigned k, unsigned sent) {
  unsigned j, d;
  for (j = k; j < k + sent; j++) {
    unsigned first = GSO.first[j];
    c->sent += GSO.count[j]; /* a run of k segments is k datagrams */
    for (d = first; d < first + GSO.count[j]; d++)
      c->sent_bytes += B.aux[d].iov.iov_len;
    if (GSO.count[j] > 1) {
      PATHS.gso_sends++;
      PATHS.gso_datagrams += GSO.count[j];
    }
  }
}

static void send_runs (ludp_handle *lh, uv_os_fd_t fd, unsigned n) {
  unsigned g = 0, i = 0, k = 0;
  while (i < n) {
    size_t total;
    unsigned c = run_length(i, n, &total);
    gso_message(g++, i, c);
    i += c;
  }
  while (k < g) {
    int r = send_mmsg(fd, GSO.msgs + k, g - k);
    if (r > 0) {
      count_gso(&udp_extra_of(lh)->counts, k, (unsigned)r);
      k += (unsigned)r;
      continue;
    }
    /* the first message left failed: its replies go one by one, which
    ** queues or reports each as without runs */
    if (GSO.count[k] > 1 && gso_refused(errno)) udp_extra_of(lh)->no_gso = 1;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      send_each(lh, fd, GSO.first[k], n);
      return;
    }
    send_each(lh, fd, GSO.first[k], GSO.first[k] + GSO.count[k]);
    k++;
  }
}

/*
** Sends lh's batched replies, if the batch is lh's. While it sends, a
** failure's report allocates, and a collection then may run a finalizer
** that sends: such a send leaves at once (udp_send_now), not added to
** the batch being sent. A finalizer runs when the collector says, so no
** order with the batch's replies is lost. (Not libuv's queue either:
** libuv 1.44 fails every datagram of a queued sendmmsg with the first
** one's error.)
*/
void udp_flush (ludp_handle *lh) {
  uv_os_fd_t fd;
  unsigned n = B.n;
  if (lh == NULL || B.owner != lh) return;
  B.owner = NULL; /* first: what follows may start a new one */
  B.n = 0;
  B.used = 0;
  if (uv_fileno(lh->h, &fd) == 0) {
    int quiet = udp_quiet_begin(lh, fd, n);
    B.flushing = 1;
    if (n > 1 && !udp_extra_of(lh)->no_gso)
      send_runs(lh, fd, n);
    else
      send_each(lh, fd, 0, n);
    B.flushing = 0;
    if (quiet) udp_quiet_end(lh, fd);
  }
  if (B.anchored) { /* sent, or copied into libuv's queue */
    B.anchored = 0;
    lua_settop(B.anchor, 0);
  }
}

/* Adds a reply to the batch; 0, or nonzero when it cannot be batched.
** When 'str' is nonzero, bufs[0] is the whole of the string at that index
** of L: it is kept on the anchor thread and sent from there, not copied.
** The anchor's pushed values need no write barrier (threads are traversed
** again at the end of each cycle), and a settop empties it. */
static int batch_add (ludp_handle *lh, const uv_buf_t *bufs, int n,
                      size_t total, const struct sockaddr *sa, lua_State *L,
                      int str) {
  struct msghdr *h;
  size_t off;
  unsigned i;
  int k;
  if (sa == NULL || total > BATCH_BYTES || total > 65507)
    return 1;                            /* connected, or too big: send now */
  if (B.owner != lh) udp_flush(B.owner); /* another socket's */
  if (B.n == BATCH_MAX || B.used + total > BATCH_BYTES) udp_flush(lh);
  B.owner = lh;
  i = B.n;
  off = B.used;
  if (str != 0 && B.anchor != NULL && lua_checkstack(B.anchor, 1)) {
    lua_pushvalue(L, str);
    lua_xmove(L, B.anchor, 1);
    B.anchored++;
    B.aux[i].iov.iov_base = bufs[0].base;
  }
  else {
    B.aux[i].iov.iov_base = B.data + off;
    for (k = 0; k < n; k++) {
      memcpy(B.data + off, bufs[k].base, bufs[k].len);
      off += bufs[k].len;
    }
  }
  B.aux[i].iov.iov_len = total;
  memcpy(&B.aux[i].to, sa, ludp_sockaddr_len(sa));
  h = &B.msgs[i].msg_hdr;
  memset(h, 0, sizeof *h);
  h->msg_name = &B.aux[i].to;
  h->msg_namelen = ludp_sockaddr_len(sa);
  h->msg_iov = &B.aux[i].iov;
  h->msg_iovlen = 1;
  B.used = off;
  B.n = i + 1;
  PATHS.batched++;
  return 0;
}

/* After uv_close the socket's state goes: a batch can no longer be its
** (udp_flush ran before the close), but say so for a collected box. */
void udp_send_free (ludp_handle *lh) {
  if (B.owner != lh) return;
  B.owner = NULL;
  B.n = 0;
  B.used = 0;
  if (B.anchored && !lh->collected && lh->L != NULL) lua_settop(B.anchor, 0);
  B.anchored = 0;
}


/* ---------------------------------------------------------------- send */

/* Fills 'bufs' from a string or an array of strings at 'i'; returns count. */
int udp_get_bufs (lua_State *L, int i, uv_buf_t *bufs, size_t *total) {
  size_t len;
  const char *s;
  int n, k;
  if (lua_type(L, i) == LUA_TSTRING) {
    s = lua_tolstring(L, i, &len);
    bufs[0] = uv_buf_init((char *)s, (unsigned)len);
    *total = len;
    return 1;
  }
  luaL_checktype(L, i, LUA_TTABLE);
  n = (int)lua_rawlen(L, i); /* as the pieces are read: raw */
  luaL_argcheck(L, n <= MAX_BUFS, i, "too many pieces in one datagram");
  *total = 0;
  for (k = 0; k < n; k++) {
    if (lua_rawgeti(L, i, k + 1) != LUA_TSTRING)
      luaL_argerror(L, i, "array of strings expected");
    s = lua_tolstring(L, -1, &len);
    lua_pop(L, 1); /* still anchored by the table */
    bufs[k] = uv_buf_init((char *)s, (unsigned)len);
    *total += len;
  }
  return n;
}

static int try_send (ludp_handle *lh, const uv_buf_t *bufs, int n,
                     const struct sockaddr *sa) {
  int r = uv_udp_try_send(udp_of(lh), bufs, (unsigned)n, sa);
  if (r >= 0) {
    udp_counts *c = &udp_extra_of(lh)->counts;
    PATHS.try_send++;
    c->sent++;
    c->sent_bytes += (uint64_t)r;
  }
  return r;
}

/*
** Sends a datagram now, for send and reply alike: into the reply batch
** when 'may_defer' (no callback) and a receive batch of several datagrams
** is being delivered with nothing queued in libuv; else after the batch,
** with try_send. Returns the bytes taken, or a negative status (UV_EAGAIN:
** queue it).
*/
static int send_now (ludp_handle *lh, const uv_buf_t *bufs, int n, size_t total,
                     const struct sockaddr *sa, int may_defer, lua_State *L,
                     int str) {
  udp_extra *x = udp_extra_of(lh);
  if (B.flushing) return try_send(lh, bufs, n, sa);
  if (may_defer && x->in_batch && !lh->closing &&
      uv_udp_get_send_queue_count(udp_of(lh)) == 0 &&
      batch_add(lh, bufs, n, total, sa, L, str) == 0)
    return (int)total;
  if (B.owner == lh) udp_flush(lh); /* in order: the batch first */
  return try_send(lh, bufs, n, sa);
}

/*
** u:send(data, ip, port, cb, may_defer) -> status, bytes
** data: string or array of strings; ip nil for a connected socket.
** status 0: sent now, or batched to leave at the end of the receive batch
** (only when 'may_defer', i.e. the caller has no callback); cb is not
** called (the caller defers it). 1: queued, cb(status) runs when sent.
** Negative: failed now, cb not called.
*/
int udp_send (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  const struct sockaddr *sa = NULL;
  uv_buf_t bufs[MAX_BUFS];
  size_t total;
  send_req *sr;
  int n, r;
  n = udp_get_bufs(L, 2, bufs, &total);
  if (!lua_isnil(L, 3) && (r = udp_arg_addr(L, lh, 3, &sa)) != 0) {
    lua_pushinteger(L, r);
    return 1;
  }
  if (!lua_isnoneornil(L, 5)) luaL_checktype(L, 5, LUA_TFUNCTION);
  r = send_now(lh, bufs, n, total, sa, lua_toboolean(L, 6), L,
               lua_type(L, 2) == LUA_TSTRING ? 2 : 0);
  if (r >= 0) {
    lua_pushinteger(L, 0);
    lua_pushinteger(L, r);
    return 2;
  }
  if (r != UV_EAGAIN && r != UV_ENOSYS) {
    udp_extra_of(lh)->counts.send_errors++;
    lua_pushinteger(L, r);
    return 1;
  }
  /* The kernel is full or sends are queued: queue a copy, in order. */
  r = queue_copy(lh, bufs, n, total, sa, &sr);
  if (r != 0) {
    udp_extra_of(lh)->counts.send_errors++;
    lua_pushinteger(L, r);
    return 1;
  }
  if (!lua_isnoneornil(L, 5)) {
    lua_pushvalue(L, 5);
    sr->cb_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_pushinteger(L, 1);
  lua_pushinteger(L, (lua_Integer)total);
  return 2;
}


/* ---------------------------------------------------- the reply form */

/*
** Sends msg, port, ip (at 'i', 'i+1', 'i+2') on lh as dgram's reply form
** send(msg, port, address) without a callback: sends or batches the
** datagram and returns 1, or does nothing and returns 0 when anything is
** unusual (not a string, a bad port, not an IP literal, the kernel said
** no...), so that dgram's own send redoes it and reports as it always does.
*/
static int reply (lua_State *L, ludp_handle *lh, int i) {
  const struct sockaddr *sa;
  const char *s, *ip;
  size_t len, iplen;
  lua_Integer port;
  uv_buf_t buf;
  if (lua_type(L, i) != LUA_TSTRING || !lua_isinteger(L, i + 1) ||
      lua_type(L, i + 2) != LUA_TSTRING)
    return 0;
  port = lua_tointeger(L, i + 1);
  s = lua_tolstring(L, i, &len);
  ip = lua_tolstring(L, i + 2, &iplen);
  if (port < 1 || port > 65535 || iplen == 0 ||
      udp_dst(lh, ip, iplen, (int)port, &sa) != 0)
    return 0;
  buf = uv_buf_init((char *)s, (unsigned)len);
  if (send_now(lh, &buf, 1, len, sa, 1, L, i) < 0) return 0;
  PATHS.reply_fast++;
  return 1;
}

/*
** dgram's Socket.send. Its reply form, sock:send(msg, port, address) with
** nothing after, is done here when the socket (the owner its handle was
** made for: see core.udp) has a handle that dgram said may take it
** (u:set_fast): no Lua call on an echo's hot path. Anything else goes to
** dgram's own send (upvalue 1). The socket is the one being read when the
** owner is its (a listener's reply: one pointer compared), else found in
** upvalue 2, the owners (owner -> box, weak keys), which only core.udp
** fills, with UDP boxes.
*/
static int socket_send (lua_State *L) {
  int n = lua_gettop(L), i = 5;
  if (n >= 4) {
    while (i <= n && lua_isnil(L, i))
      i++;
    if (i > n) {
      ludp_handle *lh;
      ludp_gc_point(L); /* before the handle is looked at */
      lh = udp_recv_owned_by(lua_topointer(L, 1));
      if (lh == NULL) {
        lua_pushvalue(L, 1);
        if (lua_rawget(L, lua_upvalueindex(2)) == LUA_TUSERDATA)
          lh = ludp_handle_known(L, n + 1);
      }
      if (lh != NULL && udp_extra_of(lh)->fast && reply(L, lh, 2)) return 0;
      lua_settop(L, n);
    }
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

static const char owners_key = 0; /* the owners table's registry key */

/* core.socket_send(send) -> send with the reply form above in front. */
static int core_socket_send (lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &owners_key);
  lua_pushcclosure(L, socket_send, 2);
  return 1;
}

void udp_push_owners (lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &owners_key);
}

/* Records that the box at 'box' was made for the owner at 'owner'. */
void udp_send_owner (lua_State *L, int owner, int box) {
  owner = lua_absindex(L, owner);
  box = lua_absindex(L, box);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &owners_key);
  lua_pushvalue(L, owner);
  lua_pushvalue(L, box);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

/* core.udp_owners() -> { owner, ... }: the owners (see core.udp) whose
** handle is still open, in no order. For ludp.test, which closes through
** the owners (dgram's Socket:close) what a failed test left open. */
static int core_udp_owners (lua_State *L) {
  lua_Integer n = 0;
  lua_settop(L, 0);
  lua_newtable(L);                                /* 1: the result */
  lua_rawgetp(L, LUA_REGISTRYINDEX, &owners_key); /* 2: owner -> box */
  luaL_getmetatable(L, "ludp.udp");               /* 3 */
  lua_pushnil(L);
  while (lua_next(L, 2) != 0) {
    if (ludp_handle_test(L, -1, 3) != NULL) {
      lua_pushvalue(L, -2);
      lua_rawseti(L, 1, ++n);
    }
    lua_pop(L, 1);
  }
  lua_settop(L, 1);
  return 1;
}

/*
** At exit (process.exit, os.exit, exit() from anywhere, with the Lua
** state still open), the replies still batched leave: send() accepted
** them. No Lua from here: a refused one is not reported.
*/
static void flush_at_exit (void) {
  if (B.owner == NULL) return;
  B.exiting = 1;
  udp_flush(B.owner);
}

/* Makes the anchor thread and the owners table; adds core.socket_send. */
void udp_send_open (lua_State *L) {
  if (!B.at_exit_set && atexit(flush_at_exit) == 0) B.at_exit_set = 1;
  B.anchor = lua_newthread(L);
  luaL_ref(L, LUA_REGISTRYINDEX); /* for the state's life */
  lua_newtable(L);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &owners_key);
  lua_pushcfunction(L, core_socket_send);
  lua_setfield(L, -2, "socket_send");
  lua_pushcfunction(L, core_udp_owners);
  lua_setfield(L, -2, "udp_owners");
}
