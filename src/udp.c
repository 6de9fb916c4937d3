/*
** udp.c
** The UDP handle: a thin binding of uv_udp_t, as Node's udp_wrap is.
** Methods return libuv status codes (0 or negative) and never raise for a
** failure of the operating system; dgram.lua turns codes into errors.
** The hot path is here, and knows two fields of dgram's socket table.
** Datagrams arrive in recvmmsg batches (the first after an empty socket
** alone, with recvmsg: see on_alloc), delivered under one protected
** call: a socket's one 'message' listener (_events.message) is called
** with (msg, rinfo) directly, else dgram's receive function with (owner,
** msg, address, port); the address string is reused while the peer stays
** the same, and the rinfo table is made ahead (see push_rinfo_table).
** Socket.send's reply form is done here when _fast holds the handle. A
** reply made while a batch of several datagrams is delivered (no
** callback, nothing queued in libuv) joins the reply batch (a string is
** kept alive, not copied) and all of them leave with one sendmmsg when
** the batch ends, or before
** anything else is done with the socket. Other sends, a lone datagram's
** reply among them, try uv_udp_try_send straight from the string's bytes
** and queue a copy only when the kernel says EAGAIN.
*/

#define _GNU_SOURCE /* sendmmsg */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <unistd.h>

#include "ludp.h"

static const char UDP_T[] = "ludp.udp";

/* An IPv4 or IPv6 socket address, without sockaddr_storage's 128 bytes:
** there are as many of these as sockets. */
typedef union {
  struct sockaddr sa;
  struct sockaddr_in in4;
  struct sockaddr_in6 in6;
} sock_addr;

/* The last destination parsed, so that replies to the same peer need no
** parse; one for all sockets (an echo server's sockets reply to the same
** peers), which keeps the socket small. */
static struct {
  char ip[64];
  size_t iplen;
  int port;
  int family;
  sock_addr sa;
} dst = {.iplen = (size_t)-1};

/* Replies waiting for the end of the receive batch (see flush_batch). */
#define BATCH_MAX 64
#define BATCH_BYTES (256 * 1024)

/* One batch for the process: one socket at a time delivers a receive
** batch. 'owner' is the socket its replies leave by. In static memory:
** pages never written cost nothing, and no socket pays for its own. */
static struct {
  ludp_handle *owner;
  unsigned n;  /* datagrams waiting */
  size_t used; /* bytes of 'data' used */
  struct mmsghdr msgs[BATCH_MAX];
  struct { /* what msgs[i] points to: few pages for the first replies */
    struct iovec iov;
    sock_addr to;
  } aux[BATCH_MAX];
  unsigned anchored; /* strings on 'anchor' (see batch_add) */
  char data[BATCH_BYTES];
} batch;

/* A thread whose stack keeps the strings of batched replies alive until
** they leave: such a reply is sent from the string's own bytes. Pushed
** values need no write barrier (threads are traversed again at the end
** of each cycle), and the stack is emptied by a settop. */
static lua_State *anchor;

/* Set while flush_batch sends. A failure's report allocates, and a
** collection then may run a finalizer that sends: such a send leaves at
** once (send_now), not added to the batch being sent. A finalizer runs
** when the collector says, so no order with the batch's replies is
** lost. (Not libuv's queue either: libuv 1.44 fails every datagram of
** a queued sendmmsg with the first one's error.) */
static int flushing;

typedef struct {
  int family;             /* AF_INET / AF_INET6 requested at creation */
  int in_batch;           /* replies are batched (see send_now) */
  unsigned char idle;     /* the last read found the socket empty */
  unsigned char reading;  /* read_lone delivers: recv_stop waits */
  unsigned char stopping; /* a recv_stop waits for on_recv */
  unsigned char no_gso;   /* the kernel refused a UDP_SEGMENT send */
  int owner_ref;          /* passed first to the receive callback */
  int from_ref;           /* the string of 'from' */
  sock_addr from;         /* last peer */
} udp_extra;

#define UDP_SIZE (sizeof(uv_udp_t) + sizeof(udp_extra))

static uv_udp_t *udp_of (ludp_handle *lh) {
  return (uv_udp_t *)lh->h;
}

static udp_extra *extra_of (ludp_handle *lh) {
  return (udp_extra *)((char *)lh->h + sizeof(uv_udp_t));
}

static void flush_batch (ludp_handle *lh);
static void udp_on_close (ludp_handle *lh);
static void udp_on_free (ludp_handle *lh);

/* Checks the handle; replies still batched leave first, so that anything
** done with the socket (options, connect, close...) comes after them. */
static ludp_handle *check_udp (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  if (batch.owner == lh) flush_batch(lh);
  return lh;
}

static int push_status (lua_State *L, int status) {
  lua_pushinteger(L, status);
  return 1;
}


/* Parses ip/port into 'sa' for this socket's family; 0 or UV_EINVAL. */
static int parse_addr (int family, const char *ip, size_t len, int port,
                       const struct sockaddr **out) {
  int r;
  if (dst.iplen == len && dst.port == port && dst.family == family &&
      memcmp(dst.ip, ip, len) == 0) {
    *out = &dst.sa.sa;
    return 0;
  }
  if (len >= sizeof(dst.ip) || memchr(ip, '\0', len) != NULL)
    return UV_EINVAL; /* C would read "127.0.0.1\0x" as 127.0.0.1 */
  if (family == AF_INET6)
    r = uv_ip6_addr(ip, port, &dst.sa.in6);
  else
    r = uv_ip4_addr(ip, port, &dst.sa.in4);
  if (r != 0) {
    dst.iplen = (size_t)-1;
    return r;
  }
  memcpy(dst.ip, ip, len);
  dst.iplen = len;
  dst.port = port;
  dst.family = family;
  *out = &dst.sa.sa;
  return 0;
}

/* Checks an optional ip string + port at 'i', 'i+1' and parses them. */
static int arg_addr (lua_State *L, ludp_handle *lh, int i,
                     const struct sockaddr **sa) {
  size_t len;
  const char *ip = luaL_checklstring(L, i, &len);
  lua_Integer port = luaL_checkinteger(L, i + 1);
  luaL_argcheck(L, port >= 0 && port <= 65535, i + 1, "port out of range");
  return parse_addr(extra_of(lh)->family, ip, len, (int)port, sa);
}

/* Pushes address, port and family ("IPv4"/"IPv6") of 'sa'; returns 3. */
static int push_sockaddr (lua_State *L, const struct sockaddr *sa) {
  char ip[INET6_ADDRSTRLEN + UV_IF_NAMESIZE + 1];
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)sa;
    uv_ip6_name(a6, ip, sizeof ip);
    /* A link-local address names its interface ("fe80::1%eth0"), as
    ** Node prints it, so a reply to it goes out the same way. */
    if (IN6_IS_ADDR_LINKLOCAL(&a6->sin6_addr) && a6->sin6_scope_id > 0) {
      size_t n = strlen(ip), left = sizeof ip - n - 1;
      ip[n] = '%';
      if (uv_if_indextoiid(a6->sin6_scope_id, ip + n + 1, &left) != 0)
        ip[n] = '\0';
    }
    lua_pushstring(L, ip);
    lua_pushinteger(L, ntohs(a6->sin6_port));
    lua_pushliteral(L, "IPv6");
  }
  else {
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)sa;
    uv_ip4_name(a4, ip, sizeof ip);
    lua_pushstring(L, ip);
    lua_pushinteger(L, ntohs(a4->sin_port));
    lua_pushliteral(L, "IPv4");
  }
  return 3;
}


/* ------------------------------------------------------------ creation */

/* core.udp(family) -> box; family 4 or 6. No socket exists until bind. */
static int udp_new (lua_State *L) {
  lua_Integer fam = luaL_checkinteger(L, 1);
  ludp_handle *lh;
  int r;
  luaL_argcheck(L, fam == 4 || fam == 6, 1, "family must be 4 or 6");
  lh = ludp_handle_new(L, UDP_T, UDP_SIZE);
  extra_of(lh)->family = fam == 6 ? AF_INET6 : AF_INET;
  extra_of(lh)->owner_ref = extra_of(lh)->from_ref = LUA_NOREF;
  lh->on_close = udp_on_close;
  lh->on_free = udp_on_free;
  r = uv_udp_init_ex(ludp_loop(), udp_of(lh), AF_UNSPEC | UV_UDP_RECVMMSG);
  if (r != 0) {
    *lh->box = NULL;
    free(lh);
    return ludp_fail(L, r);
  }
  return 1;
}

/* Sets SO_REUSEPORT before bind: on the handle's socket when it has one
** (a bind that failed left it there), else on a new one it then opens. */
static int open_reuseport (ludp_handle *lh) {
  int on = 1, r;
  uv_os_fd_t fd;
  if (uv_fileno(lh->h, &fd) == 0) {
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
      return uv_translate_sys_error(errno);
    return 0;
  }
  fd = socket(extra_of(lh)->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return uv_translate_sys_error(errno);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    r = uv_translate_sys_error(errno);
    close(fd);
    return r;
  }
  r = uv_udp_open(udp_of(lh), fd);
  if (r != 0) close(fd);
  return r;
}

/* u:bind(ip, port, reuseaddr, ipv6only, reuseport) -> status */
static int udp_bind (lua_State *L) {
  ludp_handle *lh = check_udp(L);
  const struct sockaddr *sa;
  unsigned flags = 0;
  int r = arg_addr(L, lh, 2, &sa);
  if (r != 0) return push_status(L, r);
  if (lua_toboolean(L, 4)) flags |= UV_UDP_REUSEADDR;
  if (lua_toboolean(L, 5)) flags |= UV_UDP_IPV6ONLY;
  if (lua_toboolean(L, 6) && (r = open_reuseport(lh)) != 0)
    return push_status(L, r);
  return push_status(L, uv_udp_bind(udp_of(lh), sa, flags));
}

/* u:open(fd) -> status: wraps an existing socket. */
static int udp_open (lua_State *L) {
  ludp_handle *lh = check_udp(L);
  lua_Integer fd = luaL_checkinteger(L, 2);
  luaL_argcheck(L, fd >= 0 && fd <= 0x7fffffff, 2, "bad file descriptor");
  return push_status(L, uv_udp_open(udp_of(lh), (uv_os_sock_t)fd));
}

/* u:connect(ip, port) -> status */
static int udp_connect (lua_State *L) {
  ludp_handle *lh = check_udp(L);
  const struct sockaddr *sa;
  int r = arg_addr(L, lh, 2, &sa);
  if (r != 0) return push_status(L, r);
  return push_status(L, uv_udp_connect(udp_of(lh), sa));
}

/* u:disconnect() -> status */
static int udp_disconnect (lua_State *L) {
  return push_status(L, uv_udp_connect(udp_of(check_udp(L)), NULL));
}


/* ------------------------------------------------------------- receive */

/*
** One buffer for every socket: a receive callback consumes it at once.
** libuv's recvmmsg reads up to 20 datagrams, each into its own 64 KiB
** slice; pages never written to cost no memory.
*/
#define RECV_WIDTH 20
static char recv_buf[RECV_WIDTH * 64 * 1024];

/*
** After a recvmmsg that returned fewer datagrams than it had room for, the
** socket is empty: libuv would still read once more, only to get EAGAIN.
** An empty buffer instead makes libuv stop reading (it reports ENOBUFS,
** which on_recv ignores); epoll is level-triggered, so a datagram that
** arrives meanwhile wakes the loop again.
**
** The first read after the socket was found empty is most often of one
** datagram: a request. recvmmsg costs such a request about 0.6 us more
** than recvmsg before its reply can leave, so read_lone reads it with
** recvmsg and delivers it from on_alloc; then libuv's recvmmsg reads what
** else came, or finds the socket empty (as plain C on libuv does, after
** the reply). A busy socket, never found empty, is read by recvmmsg only.
*/
static struct {
  uv_udp_t *drained; /* the socket whose last read came back short */
  unsigned chunks;   /* datagrams of the current recvmmsg so far */
} reads;

static int read_lone (ludp_handle *lh);

static void on_alloc (uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  ludp_handle *lh = h->data;
  udp_extra *x = extra_of(lh);
  (void)suggested;
  buf->base = NULL;
  buf->len = 0;
  if (reads.drained == (uv_udp_t *)h) {
    reads.drained = NULL;
    x->idle = 1;
    return;
  }
  reads.drained = NULL;
  if (x->idle) {
    x->idle = 0;
    if (!read_lone(lh)) return; /* nothing more now, or stopped */
  }
  reads.chunks = 0;
  buf->base = recv_buf;
  buf->len = sizeof recv_buf;
}

/* Writes the dotted quad of 'a' into 'out'; returns its length. */
static size_t ip4_format (const struct in_addr *a, char *out) {
  const unsigned char *b = (const unsigned char *)&a->s_addr;
  char *p = out;
  int i;
  for (i = 0; i < 4; i++) {
    unsigned v = b[i];
    if (v >= 100) {
      *p++ = (char)('0' + v / 100);
      v %= 100;
      *p++ = (char)('0' + v / 10);
    }
    else if (v >= 10)
      *p++ = (char)('0' + v / 10);
    *p++ = (char)('0' + v % 10);
    if (i < 3) *p++ = '.';
  }
  return (size_t)(p - out);
}

/* Pushes the address string of peer 'sa', reusing the last one when the
** peer is the same (a server mostly hears the same few peers). */
static void push_peer (lua_State *L, udp_extra *x, const struct sockaddr *sa) {
  size_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                         : sizeof(struct sockaddr_in);
  struct sockaddr_in *from = (struct sockaddr_in *)&x->from;
  if (x->from_ref != LUA_NOREF && x->from.sa.sa_family == sa->sa_family) {
    if (sa->sa_family == AF_INET) {
      if (from->sin_addr.s_addr ==
          ((const struct sockaddr_in *)sa)->sin_addr.s_addr) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, x->from_ref);
        return;
      }
    }
    else {
      const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
      const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)&x->from;
      if (memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0 &&
          a->sin6_scope_id == b->sin6_scope_id) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, x->from_ref);
        return;
      }
    }
  }
  if (sa->sa_family == AF_INET) {
    char ip[16];
    lua_pushlstring(L, ip,
                    ip4_format(&((const struct sockaddr_in *)sa)->sin_addr,
                               ip));
  }
  else {
    push_sockaddr(L, sa); /* address, port, family */
    lua_pop(L, 2);
  }
  memcpy(&x->from, sa, len);
  lua_pushvalue(L, -1);
  if (x->from_ref == LUA_NOREF)
    x->from_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  else
    lua_rawseti(L, LUA_REGISTRYINDEX, x->from_ref);
}

static int sockaddr_port (const struct sockaddr *sa) {
  return ntohs(sa->sa_family == AF_INET6
                 ? ((const struct sockaddr_in6 *)sa)->sin6_port
                 : ((const struct sockaddr_in *)sa)->sin_port);
}

/*
** The datagrams of a recvmmsg batch wait here, pointing into recv_buf,
** until libuv says the batch ended; then one protected call delivers them
** all (a protected call per datagram cost as much as the rest of the C
** side of receiving). 'next' survives an error thrown by a listener, so
** that the rest of the batch is still delivered, each datagram once.
*/
#define PENDING_MAX 64

static struct {
  ludp_handle *lh;
  unsigned n, next;
  struct {
    const char *base;
    size_t len;
    sock_addr from;
  } d[PENDING_MAX];
} pending;

static int can_deliver (ludp_handle *lh) {
  return !lh->closing && lh->cb_ref != LUA_NOREF && !ludp_failed();
}

/* Pushes onmessage and its failure arguments (owner, nil, errname,
** status), for a receive error or a refused batched reply. */
static void push_failure (lua_State *L, ludp_handle *lh, int status) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, lh->cb_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, extra_of(lh)->owner_ref);
  lua_pushnil(L);
  ludp_push_uverr(L, status);
  lua_pushinteger(L, status);
}

/* Reports a receive failure as onmessage(owner, nil, errname, status),
** under its own protected call. */
static void report_recv_failure (ludp_handle *lh, int status) {
  lua_State *L = lh->L;
  ludp_push_handler(L);
  push_failure(L, lh, status);
  ludp_call_h(L, 4);
}

/* Upvalues of deliver_batch: the names it reads and writes. */
enum {
  UP_EVENTS = 1,
  UP_MESSAGE,
  UP_ADDRESS,
  UP_FAMILY,
  UP_PORT,
  UP_SIZE,
  UP_IPV4,
  UP_IPV6,
  UP_COUNT = UP_IPV6
};
static const char *const up_names[] = {"_events", "message", "address",
                                       "family",  "port",    "size",
                                       "IPv4",    "IPv6"};
static const char deliver_key = 0; /* its registry key, by address */

/*
** rinfo tables are made one ahead: when a batch has been delivered and
** its replies have left, the next datagram's table is made, with its four
** keys in the receiver's order (the values are placeholders). A lone
** request's reply then does not wait for a new table and four new keys,
** which cost it more than anything else of the C side after the CPU had
** slept. Each table is handed out once: a kept rinfo never changes.
*/
static int spare_ref = LUA_NOREF; /* registry slot: the table, or false */

/* Pushes a table for rinfo: the spare when there is one, else a new one. */
static void push_rinfo_table (lua_State *L) {
  if (lua_rawgeti(L, LUA_REGISTRYINDEX, spare_ref) == LUA_TTABLE) {
    lua_pushboolean(L, 0);
    lua_rawseti(L, LUA_REGISTRYINDEX, spare_ref); /* handed out: once */
    return;
  }
  lua_pop(L, 1);
  lua_createtable(L, 0, 4);
}

/* Makes the spare if it was handed out; called from deliver_batch. */
static void make_spare (lua_State *L) {
  if (lua_rawgeti(L, LUA_REGISTRYINDEX, spare_ref) == LUA_TTABLE) {
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  lua_createtable(L, 0, 4);
  lua_pushvalue(L, lua_upvalueindex(UP_ADDRESS));
  lua_pushvalue(L, lua_upvalueindex(UP_IPV4));
  lua_rawset(L, -3);
  lua_pushvalue(L, lua_upvalueindex(UP_FAMILY));
  lua_pushvalue(L, lua_upvalueindex(UP_IPV4));
  lua_rawset(L, -3);
  lua_pushvalue(L, lua_upvalueindex(UP_PORT));
  lua_pushinteger(L, 0);
  lua_rawset(L, -3);
  lua_pushvalue(L, lua_upvalueindex(UP_SIZE));
  lua_pushinteger(L, 0);
  lua_rawset(L, -3);
  lua_rawseti(L, LUA_REGISTRYINDEX, spare_ref);
}

/*
** After a lone datagram's reply, or a few, a collection due within the
** next COLLECT_AHEAD kB of allocation runs now, when the replies have
** left, rather than from the next datagram's allocations, on its way to
** its reply: a request whose handler allocates less than that never waits
** for the collector. The debt is lent and paid back: when nothing was
** due, the collector's schedule is unchanged; when a collection ran, the
** next one comes that much later. Not in a flood's big batches, where a
** collection delays no one (it costs three lua_gc calls, about 190
** instructions), nor when the script stopped the collector.
*/
#define COLLECT_AHEAD 4       /* kB */
#define COLLECT_AHEAD_BATCH 4 /* datagrams: at most this many in the batch */

static void collect_ahead (lua_State *L) {
  if (pending.n > COLLECT_AHEAD_BATCH || !lua_gc(L, LUA_GCISRUNNING)) return;
  lua_gc(L, LUA_GCSTEP, COLLECT_AHEAD);
  lua_gc(L, LUA_GCSTEP, -COLLECT_AHEAD);
}

/*
** The usual case without a Lua call: when owner._events.message is one
** function, calls it with (msg, rinfo) as dgram's receiver would (see
** receiver in dgram.lua) and returns 1; else returns 0, stack unchanged.
*/
static int call_listener (lua_State *L, udp_extra *x, int owner, unsigned i) {
  const struct sockaddr *from = &pending.d[i].from.sa;
  lua_pushvalue(L, lua_upvalueindex(UP_EVENTS));
  if (lua_rawget(L, owner) != LUA_TTABLE) {
    lua_pop(L, 1);
    return 0;
  }
  lua_pushvalue(L, lua_upvalueindex(UP_MESSAGE));
  if (lua_rawget(L, -2) != LUA_TFUNCTION) {
    lua_pop(L, 2);
    return 0;
  }
  lua_replace(L, -2); /* the listener, over the events */
  lua_pushlstring(L, pending.d[i].base, pending.d[i].len);
  push_rinfo_table(L); /* rinfo, fields in the receiver's order */
  lua_pushvalue(L, lua_upvalueindex(UP_ADDRESS));
  push_peer(L, x, from);
  lua_rawset(L, -3);
  lua_pushvalue(L, lua_upvalueindex(UP_FAMILY));
  lua_pushvalue(L, lua_upvalueindex(x->family == AF_INET6 ? UP_IPV6 : UP_IPV4));
  lua_rawset(L, -3);
  lua_pushvalue(L, lua_upvalueindex(UP_PORT));
  lua_pushinteger(L, sockaddr_port(from));
  lua_rawset(L, -3);
  lua_pushvalue(L, lua_upvalueindex(UP_SIZE));
  lua_pushinteger(L, (lua_Integer)pending.d[i].len);
  lua_rawset(L, -3);
  lua_call(L, 2, 0);
  return 1;
}

/* Protected: for each datagram waiting, the listener, else
** onmessage(owner, msg, address, port); after each, what follows any
** callback (the nextTick queue). Then the replies leave, and the next
** rinfo table is made. */
static int deliver_batch (lua_State *L) {
  ludp_handle *lh = pending.lh;
  udp_extra *x;
  if (lh == NULL || lua_touserdata(L, 1) != lh) return 0; /* not from deliver */
  x = extra_of(lh);
  lua_rawgeti(L, LUA_REGISTRYINDEX, lh->cb_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, x->owner_ref);
  while (pending.next < pending.n && can_deliver(lh)) {
    unsigned i = pending.next++;
    if (lua_type(L, 3) != LUA_TTABLE || !call_listener(L, x, 3, i)) {
      lua_pushvalue(L, 2);
      lua_pushvalue(L, 3);
      lua_pushlstring(L, pending.d[i].base, pending.d[i].len);
      push_peer(L, x, &pending.d[i].from.sa);
      lua_pushinteger(L, sockaddr_port(&pending.d[i].from.sa));
      lua_call(L, 4, 0);
    }
    ludp_after_callback(L);
  }
  flush_batch(lh); /* the replies first: what follows is not on their way */
  collect_ahead(L);
  make_spare(L);
  return 0;
}

/* Delivers what waits; the replies made meanwhile leave together. */
static void deliver (ludp_handle *lh) {
  lua_State *L = lh->L;
  udp_extra *x = extra_of(lh);
  /* A lone datagram's reply goes at once: nothing would share its
  ** sendmmsg, and it leaves before the way back out of the Lua call. */
  x->in_batch = pending.n - pending.next > 1;
  while (pending.next < pending.n && can_deliver(lh)) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &deliver_key);
    lua_pushlightuserdata(L, lh);
    ludp_call(L, 1); /* an error: reported, and the loop goes on */
  }
  pending.lh = NULL;
  pending.n = pending.next = 0;
  x->in_batch = 0;
  /* deliver_batch flushed, unless a listener's error cut it short */
  flush_batch(lh);
  ludp_after_callback(L); /* the errors of refused replies, if any */
}

/*
** Reads one datagram with recvmsg and delivers it (see on_alloc). Returns
** 1 when libuv should read on, 0 when the socket was empty, failed (the
** failure is reported as libuv's would be) or stopped receiving. While it
** delivers, a recv_stop waits for on_recv, which libuv calls as soon as
** on_alloc returns: stopped now, libuv would call a NULL callback.
*/
static int read_lone (ludp_handle *lh) {
  udp_extra *x = extra_of(lh);
  struct msghdr m;
  struct iovec iov;
  uv_os_fd_t fd;
  ssize_t n;
  if (pending.n > 0 || !can_deliver(lh) || uv_fileno(lh->h, &fd) != 0)
    return 1; /* libuv reads as usual */
  iov.iov_base = recv_buf;
  iov.iov_len = 64 * 1024;
  memset(&m, 0, sizeof m);
  m.msg_name = &pending.d[0].from;
  m.msg_namelen = sizeof pending.d[0].from;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  do
    n = recvmsg(fd, &m, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  x->reading = 1;
  if (n >= 0) {
    pending.lh = lh;
    pending.d[0].base = recv_buf;
    pending.d[0].len = (size_t)n;
    pending.n = 1;
    deliver(lh);
  }
  else if (errno == EAGAIN || errno == EWOULDBLOCK)
    x->idle = 1;
  else
    report_recv_failure(lh, uv_translate_sys_error(errno));
  x->reading = 0;
  return n >= 0 && can_deliver(lh) && !x->stopping;
}

static void on_recv (uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                     const struct sockaddr *addr, unsigned flags) {
  ludp_handle *lh = h->data;
  udp_extra *x = extra_of(lh);
  if (x->stopping) { /* asked for during read_lone */
    x->stopping = 0;
    uv_udp_recv_stop(h);
    return;
  }
  if (flags & UV_UDP_MMSG_CHUNK)
    reads.chunks++;
  else if (flags & UV_UDP_MMSG_FREE) { /* the end of one recvmmsg */
    if (reads.chunks < RECV_WIDTH) reads.drained = h;
    reads.chunks = 0;
  }
  else if (nread == UV_ENOBUFS && buf->len == 0)
    return; /* on_alloc's empty buffer: the socket was drained */
  else if (nread == 0 && addr == NULL)
    x->idle = 1; /* EAGAIN: the socket is empty */
  if (addr != NULL && nread >= 0 && can_deliver(lh)) { /* a datagram */
    if (pending.n > 0 && (pending.lh != lh || pending.n == PENDING_MAX))
      deliver(pending.lh);
    pending.lh = lh;
    pending.d[pending.n].base = buf->base;
    pending.d[pending.n].len = (size_t)nread;
    memcpy(&pending.d[pending.n].from, addr,
           addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                       : sizeof(struct sockaddr_in));
    pending.n++;
    if (flags & UV_UDP_MMSG_CHUNK) return; /* the batch's end will come */
  }
  if (pending.n > 0) deliver(pending.lh);
  if (nread < 0 && can_deliver(lh)) report_recv_failure(lh, (int)nread);
}

/*
** u:recv_start(onmessage[, owner]) -> status. Anchors the box until close.
** Each datagram calls onmessage(owner, msg, address, port); a failure
** onmessage(owner, nil, errname, status[, syscall]). With 'owner' one
** function serves many sockets: no closure per socket.
*/
static int udp_recv_start (lua_State *L) {
  ludp_handle *lh = check_udp(L);
  int r;
  luaL_checktype(L, 2, LUA_TFUNCTION);
  r = uv_udp_recv_start(udp_of(lh), on_alloc, on_recv);
  if (r == 0 || r == UV_EALREADY) {
    extra_of(lh)->stopping = 0; /* a stop asked for meanwhile is undone */
    if (r == 0) extra_of(lh)->idle = 1;
    ludp_ref_set(L, &lh->cb_ref, 2);
    ludp_ref_set(L, &extra_of(lh)->owner_ref, 3);
    ludp_handle_anchor(L, lh, 1);
    r = 0;
  }
  return push_status(L, r);
}

/* u:recv_stop() -> status */
static int udp_recv_stop (lua_State *L) {
  ludp_handle *lh = check_udp(L);
  udp_extra *x = extra_of(lh);
  x->in_batch = 0; /* replies go now, one by one */
  if (pending.lh == lh) pending.next = pending.n; /* nothing more */
  if (x->reading) { /* libuv is in on_alloc: on_recv stops it */
    x->stopping = 1;
    return push_status(L, 0);
  }
  return push_status(L, uv_udp_recv_stop(udp_of(lh)));
}


/* ---------------------------------------------------------------- send */

typedef struct {
  uv_udp_send_t req;
  ludp_handle *lh;
  int cb_ref;   /* cb(status), or LUA_NOREF */
  int batched;  /* a batched reply: a failure is an 'error' */
  sock_addr to; /* its destination, for that error */
  char data[1];
} send_req;

/*
** Reports the failure of a batched reply to 'to' (it had no callback) as
** the socket's onmessage(owner, nil, errname, status, "send", address,
** port), on the next tick: never inside the call that flushed. Whoever
** calls this from a libuv callback runs the tick queue after it.
*/
static void report_send_error (ludp_handle *lh, int status,
                               const struct sockaddr *to) {
  lua_State *L = lh->L;
  if (lh->collected || lh->cb_ref == LUA_NOREF || L == NULL) return;
  push_failure(L, lh, status);
  lua_pushliteral(L, "send");
  push_sockaddr(L, to);
  lua_pop(L, 1); /* the family */
  ludp_next_tick(L, 7);
}

static void on_send (uv_udp_send_t *req, int status) {
  send_req *sr = req->data;
  ludp_handle *lh = sr->lh;
  if (sr->cb_ref != LUA_NOREF && !lh->collected) {
    lua_State *L = lh->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, sr->cb_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, sr->cb_ref);
    lua_pushinteger(L, status);
    ludp_call(L, 1);
  }
  else if (sr->batched && status < 0 && status != UV_ECANCELED) {
    report_send_error(lh, status, &sr->to.sa);
    if (!lh->collected && lh->L != NULL) ludp_after_callback(lh->L);
  }
  free(sr);
}

/* Queues a copy of 'len' bytes in libuv's send queue; 0 or a status. */
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
  if (sa != NULL)
    memcpy(&sr->to, sa,
           sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                     : sizeof(struct sockaddr_in));
  r = uv_udp_send(&sr->req, udp_of(lh), &one, 1, sa, on_send);
  if (r != 0) {
    free(sr);
    return r;
  }
  if (out) *out = sr;
  return 0;
}


/* ------------------------------------------------------- reply batches */

/*
** Sends batched replies first..last-1 with sendmmsg, one message each.
** What the kernel cannot take now (EAGAIN) goes to libuv's queue, in
** order; a datagram the kernel refuses is reported as an 'error' and the
** rest still go.
*/
static int send_mmsg (uv_os_fd_t fd, struct mmsghdr *msgs, unsigned n) {
  int r;
  do
    r = sendmmsg(fd, msgs, n, 0);
  while (r < 0 && errno == EINTR);
  return r;
}

static void send_each (ludp_handle *lh, uv_os_fd_t fd, unsigned i, unsigned n) {
  while (i < n) {
    int r = send_mmsg(fd, batch.msgs + i, n - i);
    if (r > 0) {
      i += (unsigned)r;
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      for (; i < n; i++) { /* the rest waits in libuv's queue */
        send_req *sr = NULL;
        uv_buf_t one = uv_buf_init(batch.aux[i].iov.iov_base,
                                   (unsigned)batch.aux[i].iov.iov_len);
        int q = queue_copy(lh, &one, 1, one.len, &batch.aux[i].to.sa, &sr);
        if (q == 0)
          sr->batched = 1;
        else
          report_send_error(lh, q, &batch.aux[i].to.sa);
      }
      break;
    }
    report_send_error(lh, uv_translate_sys_error(errno), &batch.aux[i].to.sa);
    i++; /* that one is lost: say so, go on */
  }
}

/*
** Replies in a row to one peer, all of one size but the last, which may
** be shorter, leave as one UDP_SEGMENT (GSO) message: the kernel routes
** and builds one packet and cuts it into the datagrams at the end, each
** as it would have been. An echo's replies to a busy client are such a
** run; replies to many peers leave one message each, as before.
*/
#define GSO_SEGS 64     /* at most; the kernel takes 64 or more */
#define GSO_BYTES 65507 /* a packet's payload, IPv4's limit */

static struct {
  struct mmsghdr msgs[BATCH_MAX];
  struct iovec iov[BATCH_MAX];
  unsigned first[BATCH_MAX], count[BATCH_MAX];
  union {
    char buf[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } ctl[BATCH_MAX];
} gso;

static int same_peer (const sock_addr *a, const sock_addr *b) {
  if (a->sa.sa_family != b->sa.sa_family) return 0;
  if (a->sa.sa_family == AF_INET)
    return a->in4.sin_port == b->in4.sin_port &&
           a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
  return a->in6.sin6_port == b->in6.sin6_port &&
         a->in6.sin6_flowinfo == b->in6.sin6_flowinfo &&
         a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
         memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
}

/* How many replies from 'i' on make one run (1: none), and their bytes. */
static unsigned run_length (unsigned i, unsigned n, size_t *total) {
  size_t size = batch.aux[i].iov.iov_len;
  unsigned j = i + 1;
  *total = size;
  if (size == 0) return 1;
  while (j < n && j - i < GSO_SEGS && batch.aux[j - 1].iov.iov_len == size) {
    size_t len = batch.aux[j].iov.iov_len;
    if (len == 0 || len > size || *total + len > GSO_BYTES ||
        !same_peer(&batch.aux[j].to, &batch.aux[i].to))
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

static void send_runs (ludp_handle *lh, uv_os_fd_t fd, unsigned n) {
  unsigned g = 0, i = 0, k = 0;
  while (i < n) {
    size_t total;
    unsigned c = run_length(i, n, &total);
    struct msghdr *h = &gso.msgs[g].msg_hdr;
    *h = batch.msgs[i].msg_hdr;
    if (c > 1) {
      struct cmsghdr *cm = &gso.ctl[g].align;
      uint16_t seg = (uint16_t)batch.aux[i].iov.iov_len;
      unsigned j;
      for (j = 0; j < c; j++) /* the run's pieces, wherever they are */
        gso.iov[i + j] = batch.aux[i + j].iov;
      h->msg_iov = &gso.iov[i];
      h->msg_iovlen = c;
      h->msg_control = gso.ctl[g].buf;
      h->msg_controllen = sizeof gso.ctl[g].buf;
      cm->cmsg_level = SOL_UDP;
      cm->cmsg_type = UDP_SEGMENT;
      cm->cmsg_len = CMSG_LEN(sizeof seg);
      memcpy(CMSG_DATA(cm), &seg, sizeof seg);
    }
    gso.first[g] = i;
    gso.count[g] = c;
    g++;
    i += c;
  }
  while (k < g) {
    int r = send_mmsg(fd, gso.msgs + k, g - k);
    if (r > 0) {
      k += (unsigned)r;
      continue;
    }
    /* the first message left failed: its replies go one by one, which
    ** queues or reports each as without runs */
    if (gso.count[k] > 1 && gso_refused(errno)) extra_of(lh)->no_gso = 1;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      send_each(lh, fd, gso.first[k], n);
      return;
    }
    send_each(lh, fd, gso.first[k], gso.first[k] + gso.count[k]);
    k++;
  }
}

/* Sends the batched replies (see send_each and send_runs). */
static void flush_batch (ludp_handle *lh) {
  uv_os_fd_t fd;
  unsigned n = batch.n;
  if (lh == NULL || batch.owner != lh) return;
  batch.owner = NULL; /* first: what follows may start a new one */
  batch.n = 0;
  batch.used = 0;
  if (uv_fileno(lh->h, &fd) == 0) {
    flushing = 1;
    if (n > 1 && !extra_of(lh)->no_gso)
      send_runs(lh, fd, n);
    else
      send_each(lh, fd, 0, n);
    flushing = 0;
  }
  if (batch.anchored) { /* sent, or copied into libuv's queue */
    batch.anchored = 0;
    lua_settop(anchor, 0);
  }
}

/* Adds a reply to the batch; 0, or nonzero when it cannot be batched.
** When 'str' is nonzero, bufs[0] is the whole of the string at that index
** of L: it is kept on 'anchor' and sent from there, not copied. */
static int batch_add (ludp_handle *lh, const uv_buf_t *bufs, int n,
                      size_t total, const struct sockaddr *sa, lua_State *L,
                      int str) {
  struct msghdr *h;
  size_t off;
  unsigned i;
  int k;
  if (sa == NULL || total > BATCH_BYTES || total > 65507)
    return 1; /* connected, or too big: send now */
  if (batch.owner != lh) flush_batch(batch.owner); /* another socket's */
  if (batch.n == BATCH_MAX || batch.used + total > BATCH_BYTES) flush_batch(lh);
  batch.owner = lh;
  i = batch.n;
  off = batch.used;
  if (str != 0 && anchor != NULL && lua_checkstack(anchor, 1)) {
    lua_pushvalue(L, str);
    lua_xmove(L, anchor, 1);
    batch.anchored++;
    batch.aux[i].iov.iov_base = bufs[0].base;
  }
  else {
    batch.aux[i].iov.iov_base = batch.data + off;
    for (k = 0; k < n; k++) {
      memcpy(batch.data + off, bufs[k].base, bufs[k].len);
      off += bufs[k].len;
    }
  }
  batch.aux[i].iov.iov_len = total;
  memcpy(&batch.aux[i].to, sa,
         sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                   : sizeof(struct sockaddr_in));
  h = &batch.msgs[i].msg_hdr;
  memset(h, 0, sizeof *h);
  h->msg_name = &batch.aux[i].to;
  h->msg_namelen = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                             : sizeof(struct sockaddr_in);
  h->msg_iov = &batch.aux[i].iov;
  h->msg_iovlen = 1;
  batch.used = off;
  batch.n = i + 1;
  return 0;
}

/* Before uv_close: batched replies leave; after it they could not. */
static void udp_on_close (ludp_handle *lh) {
  if (reads.drained == udp_of(lh)) reads.drained = NULL;
  extra_of(lh)->in_batch = 0;
  flush_batch(lh);
}

static void udp_on_free (ludp_handle *lh) {
  udp_extra *x = extra_of(lh);
  if (batch.owner == lh) { /* flushed by udp_on_close: never here */
    batch.owner = NULL;
    batch.n = 0;
    batch.used = 0;
    if (batch.anchored && !lh->collected && lh->L != NULL)
      lua_settop(anchor, 0);
    batch.anchored = 0;
  }
  if (!lh->collected && lh->L != NULL) {
    ludp_ref_clear(lh->L, &x->from_ref);
    ludp_ref_clear(lh->L, &x->owner_ref);
  }
  else /* the state is going: refs go with it */
    x->from_ref = x->owner_ref = LUA_NOREF;
}

#define MAX_BUFS 64

/* Fills 'bufs' from a string or an array of strings at 'i'; returns count.
** offset/length (bytes) apply to a single string only. */
static int get_bufs (lua_State *L, int i, uv_buf_t *bufs, size_t *total) {
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

/*
** Sends a datagram now, for send and reply alike: into the reply batch
** when 'may_defer' (no callback) and a receive batch of several datagrams
** is being delivered with nothing queued in libuv; else after the batch,
** with try_send.
** Returns the bytes taken, or a negative status (UV_EAGAIN: queue it).
*/
static int send_now (ludp_handle *lh, const uv_buf_t *bufs, int n, size_t total,
                     const struct sockaddr *sa, int may_defer, lua_State *L,
                     int str) {
  udp_extra *x = extra_of(lh);
  if (flushing) return uv_udp_try_send(udp_of(lh), bufs, (unsigned)n, sa);
  if (may_defer && x->in_batch && !lh->closing &&
      uv_udp_get_send_queue_count(udp_of(lh)) == 0 &&
      batch_add(lh, bufs, n, total, sa, L, str) == 0)
    return (int)total;
  if (batch.owner == lh) flush_batch(lh); /* in order: the batch first */
  return uv_udp_try_send(udp_of(lh), bufs, (unsigned)n, sa);
}

/*
** u:send(data, ip, port, cb, may_defer) -> status, bytes
** data: string or array of strings; ip nil for a connected socket.
** status 0: sent now, or batched to leave at the end of the receive batch
** (only when 'may_defer', i.e. the caller has no callback); cb is not
** called (the caller defers it). 1: queued, cb(status) runs when sent.
** Negative: failed now, cb not called.
*/
static int udp_send (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  const struct sockaddr *sa = NULL;
  uv_buf_t bufs[MAX_BUFS];
  size_t total;
  send_req *sr;
  int n, r;
  n = get_bufs(L, 2, bufs, &total);
  if (!lua_isnil(L, 3) && (r = arg_addr(L, lh, 3, &sa)) != 0)
    return push_status(L, r);
  if (!lua_isnoneornil(L, 5)) luaL_checktype(L, 5, LUA_TFUNCTION);
  r = send_now(lh, bufs, n, total, sa, lua_toboolean(L, 6), L,
               lua_type(L, 2) == LUA_TSTRING ? 2 : 0);
  if (r >= 0) {
    lua_pushinteger(L, 0);
    lua_pushinteger(L, r);
    return 2;
  }
  if (r != UV_EAGAIN && r != UV_ENOSYS) return push_status(L, r);
  /* The kernel is full or sends are queued: queue a copy, in order. */
  r = queue_copy(lh, bufs, n, total, sa, &sr);
  if (r != 0) return push_status(L, r);
  if (!lua_isnoneornil(L, 5)) {
    lua_pushvalue(L, 5);
    sr->cb_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_pushinteger(L, 1);
  lua_pushinteger(L, (lua_Integer)total);
  return 2;
}


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
      parse_addr(extra_of(lh)->family, ip, iplen, (int)port, &sa) != 0)
    return 0;
  buf = uv_buf_init((char *)s, (unsigned)len);
  return send_now(lh, &buf, 1, len, sa, 1, L, i) >= 0;
}

/*
** dgram's Socket:send. Its reply form, sock:send(msg, port, address) with
** nothing after, is done here when the socket's _fast field holds its
** handle (bound, unconnected, nothing waiting: see refresh_fast in
** dgram.lua): no Lua call on an echo's hot path. Anything else goes to
** dgram's own send (upvalue 1). Upvalues 2 and 3: "_fast", the metatable.
*/
static int socket_send (lua_State *L) {
  int n = lua_gettop(L), i = 5;
  if (n >= 4 && lua_type(L, 1) == LUA_TTABLE) {
    while (i <= n && lua_isnil(L, i))
      i++;
    lua_pushvalue(L, lua_upvalueindex(2));
    if (i > n && lua_rawget(L, 1) == LUA_TUSERDATA) {
      ludp_handle *lh = ludp_handle_test(L, n + 1, lua_upvalueindex(3));
      if (lh != NULL && reply(L, lh, 2)) return 0;
    }
    lua_settop(L, n);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

/* core.socket_send(send) -> send with the fast path above in front. */
static int core_socket_send (lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_pushliteral(L, "_fast");
  luaL_getmetatable(L, UDP_T);
  lua_pushcclosure(L, socket_send, 3);
  return 1;
}


/* ------------------------------------------------------------- queries */

/* u:getsockname() -> address, port, family | nil, errname, status */
static int udp_getsockname (lua_State *L) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  int r = uv_udp_getsockname(udp_of(check_udp(L)), (struct sockaddr *)&ss,
                             &len);
  if (r != 0) return ludp_fail(L, r);
  return push_sockaddr(L, (struct sockaddr *)&ss);
}

static int udp_getpeername (lua_State *L) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  int r = uv_udp_getpeername(udp_of(check_udp(L)), (struct sockaddr *)&ss,
                             &len);
  if (r != 0) return ludp_fail(L, r);
  return push_sockaddr(L, (struct sockaddr *)&ss);
}

static int udp_send_queue (lua_State *L) {
  uv_udp_t *u = udp_of(check_udp(L));
  lua_pushinteger(L, (lua_Integer)uv_udp_get_send_queue_size(u));
  lua_pushinteger(L, (lua_Integer)uv_udp_get_send_queue_count(u));
  return 2;
}

static int udp_fileno (lua_State *L) {
  uv_os_fd_t fd;
  int r = uv_fileno(check_udp(L)->h, &fd);
  if (r != 0) return ludp_fail(L, r);
  lua_pushinteger(L, fd);
  return 1;
}


/* ------------------------------------------------------------- options */

static int udp_set_broadcast (lua_State *L) {
  ludp_handle *lh = check_udp(L);
  return push_status(L, uv_udp_set_broadcast(udp_of(lh), lua_toboolean(L, 2)));
}

static int udp_set_ttl (lua_State *L) {
  ludp_handle *lh = check_udp(L);
  int ttl = (int)luaL_checkinteger(L, 2);
  return push_status(L, uv_udp_set_ttl(udp_of(lh), ttl));
}

static int udp_set_multicast_ttl (lua_State *L) {
  ludp_handle *lh = check_udp(L);
  int ttl = (int)luaL_checkinteger(L, 2);
  return push_status(L, uv_udp_set_multicast_ttl(udp_of(lh), ttl));
}

static int udp_set_multicast_loop (lua_State *L) {
  ludp_handle *lh = check_udp(L);
  return push_status(L, uv_udp_set_multicast_loop(udp_of(lh),
                                                  lua_toboolean(L, 2)));
}

static int udp_set_multicast_interface (lua_State *L) {
  ludp_handle *lh = check_udp(L);
  const char *iface = luaL_optstring(L, 2, NULL);
  return push_status(L, uv_udp_set_multicast_interface(udp_of(lh), iface));
}

/* u:set_membership(group, iface|nil, join) -> status */
static int udp_set_membership (lua_State *L) {
  ludp_handle *lh = check_udp(L);
  const char *group = luaL_checkstring(L, 2);
  const char *iface = luaL_optstring(L, 3, NULL);
  uv_membership m = lua_toboolean(L, 4) ? UV_JOIN_GROUP : UV_LEAVE_GROUP;
  return push_status(L, uv_udp_set_membership(udp_of(lh), group, iface, m));
}

/* u:set_source_membership(source, group, iface|nil, join) -> status */
static int udp_set_source_membership (lua_State *L) {
  ludp_handle *lh = check_udp(L);
  const char *source = luaL_checkstring(L, 2);
  const char *group = luaL_checkstring(L, 3);
  const char *iface = luaL_optstring(L, 4, NULL);
  uv_membership m = lua_toboolean(L, 5) ? UV_JOIN_GROUP : UV_LEAVE_GROUP;
  return push_status(L, uv_udp_set_source_membership(udp_of(lh), group, iface,
                                                     source, m));
}

/* u:buffer_size("recv"|"send"[, n]) -> size | nil, errname, status.
** With n > 0 it sets; the kernel's (doubled) value is returned either way. */
static int udp_buffer_size (lua_State *L) {
  static const char *const which[] = {"recv", "send", NULL};
  ludp_handle *lh = check_udp(L);
  int w = luaL_checkoption(L, 2, NULL, which);
  lua_Integer set = luaL_optinteger(L, 3, 0);
  int v, r;
  luaL_argcheck(L, set >= 0 && set <= 0x7fffffff, 3, "size out of range");
  v = (int)set;
  r = w == 0 ? uv_recv_buffer_size(lh->h, &v) : uv_send_buffer_size(lh->h, &v);
  if (r != 0) return ludp_fail(L, r);
  if (set > 0) {
    v = 0;
    r = w == 0 ? uv_recv_buffer_size(lh->h, &v)
               : uv_send_buffer_size(lh->h, &v);
    if (r != 0) return ludp_fail(L, r);
  }
  lua_pushinteger(L, v);
  return 1;
}


/* ------------------------------------------------------ module helpers */

/* core.isip(s) -> 4, 6 or 0: whether s is an IPv4 or IPv6 literal (an
** IPv6 one may carry a zone, "fe80::1%eth0"), as Node's net.isIP. */
static int core_isip (lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  unsigned char buf[sizeof(struct in6_addr)];
  int fam = 0;
  if (strlen(s) != len) /* a NUL inside: not an address */
    fam = 0;
  else if (uv_inet_pton(AF_INET, s, buf) == 0)
    fam = 4;
  else if (uv_inet_pton(AF_INET6, s, buf) == 0)
    fam = 6;
  lua_pushinteger(L, fam);
  return 1;
}

/* core.guess_handle(fd) -> "UDP", "TCP", "PIPE", "TTY", "FILE" or
** "UNKNOWN", the names of Node's guessHandleType (bind({ fd }) checks). */
static int core_guess_handle (lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  const char *name = "UNKNOWN";
  if (fd >= 0 && fd <= 0x7fffffff) {
    switch (uv_guess_handle((uv_file)fd)) {
      case UV_UDP:
        name = "UDP";
        break;
      case UV_TCP:
        name = "TCP";
        break;
      case UV_NAMED_PIPE:
        name = "PIPE";
        break;
      case UV_TTY:
        name = "TTY";
        break;
      case UV_FILE:
        name = "FILE";
        break;
      default:
        break;
    }
  }
  lua_pushstring(L, name);
  return 1;
}


static const luaL_Reg udp_methods[] = {
  {"bind", udp_bind},
  {"open", udp_open},
  {"connect", udp_connect},
  {"disconnect", udp_disconnect},
  {"recv_start", udp_recv_start},
  {"recv_stop", udp_recv_stop},
  {"send", udp_send},
  {"getsockname", udp_getsockname},
  {"getpeername", udp_getpeername},
  {"send_queue", udp_send_queue},
  {"fileno", udp_fileno},
  {"set_broadcast", udp_set_broadcast},
  {"set_ttl", udp_set_ttl},
  {"set_multicast_ttl", udp_set_multicast_ttl},
  {"set_multicast_loop", udp_set_multicast_loop},
  {"set_multicast_interface", udp_set_multicast_interface},
  {"set_membership", udp_set_membership},
  {"set_source_membership", udp_set_source_membership},
  {"buffer_size", udp_buffer_size},
  {NULL, NULL},
};

/* Adds core.udp, core.isip and core.guess_handle to the table on top. */
void ludp_open_udp (lua_State *L) {
  int i;
  ludp_handle_type(L, UDP_T, udp_methods);
  for (i = 0; i < UP_COUNT; i++)
    lua_pushstring(L, up_names[i]);
  lua_pushcclosure(L, deliver_batch, UP_COUNT);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &deliver_key);
  lua_pushboolean(L, 0);
  spare_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  anchor = lua_newthread(L);
  luaL_ref(L, LUA_REGISTRYINDEX); /* for the state's life */
  lua_pushcfunction(L, udp_new);
  lua_setfield(L, -2, "udp");
  lua_pushcfunction(L, core_isip);
  lua_setfield(L, -2, "isip");
  lua_pushcfunction(L, core_socket_send);
  lua_setfield(L, -2, "socket_send");
  lua_pushcfunction(L, core_guess_handle);
  lua_setfield(L, -2, "guess_handle");
}
