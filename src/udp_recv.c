/*
** udp_recv.c
** The receive engine of UDP sockets, in libuv's stead: which datagrams
** are read how (recvmsg for the first after an empty socket, recvmmsg of
** up to RECV_WIDTH for the rest), and their delivery to Lua: under one
** protected call per batch, each datagram is passed as (msg, rinfo) to
** the function dgram.lua handed the socket (set_onmessage), with the
** rinfo table made ahead and the peer's string made once and kept.
** Replies made meanwhile are batched by udp_send.c; they leave when the
** batch has been delivered.
**
** A socket that asks for more than the datagrams (recvInfo: the control
** messages of each; maxDatagramSize: a smaller slot, and MSG_TRUNC) gets
** a control buffer per datagram or slots of its size, and its rinfo gets
** those fields; every other socket reads without them. pause()/resume()
** stop and restart reading.
*/

#define _GNU_SOURCE /* recvmsg flags, mmsghdr in udp.h */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "udp.h"

#define R (ludp_udp.recv)
#define P (ludp_udp.recv.pending)

static int can_deliver (ludp_handle *lh) {
  return !lh->closing && lh->cb_ref != LUA_NOREF && !ludp_failed();
}

/* Reports a receive failure as onerror(owner, status), under its own
** protected call. */
static void report_recv_failure (ludp_handle *lh, int status) {
  lua_State *L = lh->L;
  ludp_push_handler(L);
  if (!udp_push_onerror(L, lh)) {
    lua_pop(L, 1);
    return;
  }
  lua_pushinteger(L, status);
  ludp_call_h(L, 2);
}


/* ---------------------------------------------------------------- rinfo */

/* Upvalues of deliver_batch: the names it writes. */
enum {
  UP_ADDRESS = 1,
  UP_FAMILY,
  UP_PORT,
  UP_SIZE,
  UP_IPV4,
  UP_IPV6,
  UP_LOCAL,
  UP_INTERFACE,
  UP_TOS,
  UP_TRUNCATED,
  UP_COUNT = UP_TRUNCATED,
  UP_PEERS /* and a table: the peers' strings kept (see push_peer) */
};
static const char *const up_names[] = {"address",      "family",    "port",
                                       "size",         "IPv4",      "IPv6",
                                       "localAddress", "interface", "tos",
                                       "truncated"};
static const char deliver_key = 0; /* its registry key, by address */

/*
** rinfo tables are made one ahead: when a batch has been delivered and
** its replies have left, the next datagram's table is made, with its four
** keys in the order dgram's rinfo has them (the values are placeholders).
** A lone request's reply then does not wait for a new table and four new
** keys, the largest cost of the C side after the CPU had slept. Each
** table is handed out once: a kept rinfo never changes.
*/

/* The spare for x's kind of rinfo: a socket with recvInfo has its own,
** made with room for its three more fields, so that adding them does not
** rehash the table. Whether it is there is a flag, not a lookup, for the
** datagrams of a batch that find it taken. */
static udp_spare *spare_of (const udp_extra *x) {
  return x->recv_info ? &R.spare[1] : &R.spare[0];
}

/* Pushes a table for rinfo: the spare when there is one, else a new one. */
static void push_rinfo_table (lua_State *L, const udp_extra *x) {
  udp_spare *sp = spare_of(x);
  if (sp->made) {
    sp->made = 0;
    lua_rawgeti(L, LUA_REGISTRYINDEX, sp->ref);
    lua_pushboolean(L, 0);
    lua_rawseti(L, LUA_REGISTRYINDEX, sp->ref); /* handed out: once */
    return;
  }
  lua_createtable(L, 0, x->recv_info ? 8 : 4);
}

/* Pushes the key in upvalue 'up', for a rawset once its value follows. */
#define KEY(L, up) lua_pushvalue(L, lua_upvalueindex(up))

/* rinfo's keys in its order; the last three with recvInfo only. */
static const unsigned char spare_keys[] = {UP_ADDRESS, UP_FAMILY, UP_PORT,
                                           UP_SIZE,    UP_LOCAL,  UP_INTERFACE,
                                           UP_TOS};

/* Makes the spare if it was handed out; called from deliver_batch. */
static void make_spare (lua_State *L, const udp_extra *x) {
  udp_spare *sp = spare_of(x);
  unsigned k;
  if (sp->made) return;
  lua_createtable(L, 0, x->recv_info ? 8 : 4);
  for (k = 0; k < (x->recv_info ? 7u : 4u); k++) {
    KEY(L, spare_keys[k]);
    lua_pushboolean(L, 0); /* a placeholder: each is set before use */
    lua_rawset(L, -3);
  }
  lua_rawseti(L, LUA_REGISTRYINDEX, sp->ref);
  sp->made = 1;
}

/* The slot of peer 'sa' among the PEER_SLOTS kept. */
static unsigned peer_slot (const struct sockaddr *sa) {
  uint32_t h;
  if (sa->sa_family == AF_INET)
    h = ((const struct sockaddr_in *)sa)->sin_addr.s_addr;
  else {
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)sa;
    memcpy(&h, (const char *)&a6->sin6_addr + 12, sizeof h);
  }
  /* the top bits of the product depend on every byte */
  return (unsigned)((h * 0x9e3779b1u) >> (32 - PEER_SLOT_BITS));
}

/* Pushes the kept string of peer 'sa' (slot 'slot'); 0, nothing pushed,
** when it is not kept. */
static int push_kept_peer (lua_State *L, unsigned slot,
                           const struct sockaddr *sa) {
  if (!ludp_sockaddr_same_ip(&R.peers[slot].sa, sa)) return 0;
  if (lua_rawgeti(L, lua_upvalueindex(UP_PEERS), (lua_Integer)slot + 1) ==
      LUA_TSTRING)
    return 1;
  lua_pop(L, 1);
  return 0;
}

/*
** Pushes the address string of peer 'sa', from the strings of up to
** PEER_SLOTS peers kept (one slot per peer, by its address), so that a
** server makes each client's string once, not once a datagram.
*/
static void push_peer (lua_State *L, const struct sockaddr *sa) {
  unsigned slot = peer_slot(sa);
  if (push_kept_peer(L, slot, sa)) return;
  ludp_push_ip(L, sa);
  lua_pushvalue(L, -1);
  lua_rawseti(L, lua_upvalueindex(UP_PEERS), (lua_Integer)slot + 1);
  memcpy(&R.peers[slot], sa, ludp_sockaddr_len(sa));
  R.peers_kept = 1;
}

/* Pushes datagram i's msg and rinfo. */
static void push_datagram (lua_State *L, udp_extra *x, unsigned i) {
  const struct sockaddr *from = &P.d[i].from.sa;
  int port = ludp_sockaddr_port(from);
  lua_pushlstring(L, P.d[i].base, P.d[i].len);
  push_rinfo_table(L, x); /* fields in rinfo's order: see make_spare */
  lua_pushvalue(L, lua_upvalueindex(UP_ADDRESS));
  push_peer(L, from);
  R.now.ip = lua_tostring(L, -1); /* see udp_dst */
  R.now.port = port;
  R.now.from = &P.d[i].from;
  lua_rawset(L, -3);
  lua_pushvalue(L, lua_upvalueindex(UP_FAMILY));
  lua_pushvalue(L, lua_upvalueindex(x->family == AF_INET6 ? UP_IPV6 : UP_IPV4));
  lua_rawset(L, -3);
  lua_pushvalue(L, lua_upvalueindex(UP_PORT));
  lua_pushinteger(L, port);
  lua_rawset(L, -3);
  lua_pushvalue(L, lua_upvalueindex(UP_SIZE));
  lua_pushinteger(L, (lua_Integer)P.d[i].len);
  lua_rawset(L, -3);
}

/* Pushes the string of local address 'sa', the last one again when it is
** the same (a server mostly hears on one or two addresses). */
static void push_local (lua_State *L, const struct sockaddr *sa) {
  if (ludp_sockaddr_same_ip(&R.local.sa, sa)) {
    if (lua_rawgeti(L, LUA_REGISTRYINDEX, R.local_ref) == LUA_TSTRING) return;
    lua_pop(L, 1);
  }
  ludp_push_ip(L, sa);
  memcpy(&R.local, sa, ludp_sockaddr_len(sa));
  lua_pushvalue(L, -1);
  lua_rawseti(L, LUA_REGISTRYINDEX, R.local_ref);
}

/* Adds what read_batches read with datagram i to the rinfo table on top (a
** field the kernel did not give is nil: the spare has it). */
static void push_info (lua_State *L, udp_extra *x, unsigned i) {
  if (x->recv_info) {
    KEY(L, UP_LOCAL);
    if (R.info[i].local.sa.sa_family != 0)
      push_local(L, &R.info[i].local.sa);
    else
      lua_pushnil(L);
    lua_rawset(L, -3);
    KEY(L, UP_INTERFACE);
    lua_pushinteger(L, R.info[i].ifindex);
    lua_rawset(L, -3);
    KEY(L, UP_TOS);
    if (R.info[i].tos >= 0)
      lua_pushinteger(L, R.info[i].tos);
    else
      lua_pushnil(L);
    lua_rawset(L, -3);
  }
  if (R.info[i].truncated) {
    KEY(L, UP_TRUNCATED);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
  }
}


/* ------------------------------------------------------------ delivery */

/*
** After a lone datagram's reply, or a few, a collection due within the
** next COLLECT_AHEAD kB of allocation runs now, when the replies have
** left, rather than from the next datagram's allocations, on its way to
** its reply: a request whose handler allocates less than that never waits
** for the collector. The debt is lent and paid back: when nothing was
** due, the collector's schedule is unchanged; when a collection ran, the
** next one comes that much later. Not in a flood's big batches, where a
** collection delays no one, nor when the script stopped the collector.
*/
#define COLLECT_AHEAD 4       /* kB */
#define COLLECT_AHEAD_BATCH 4 /* datagrams: at most this many in the batch */

static void collect_ahead (lua_State *L) {
  if (P.n > COLLECT_AHEAD_BATCH || !lua_gc(L, LUA_GCISRUNNING)) return;
  lua_gc(L, LUA_GCSTEP, COLLECT_AHEAD);
  lua_gc(L, LUA_GCSTEP, -COLLECT_AHEAD);
}

/*
** Protected, with the socket's box at 1: each datagram waiting goes to
** the socket's onmessage as (msg, rinfo), read again for each (a
** listener may change it); with none it is dropped, as Node's emit drops
** it. After each, what follows any callback (the nextTick queue). Then
** the replies leave, and the next rinfo table is made. A protected call
** per datagram would cost as much as the rest of the C side of receiving.
*/
static int deliver_batch (lua_State *L) {
  ludp_handle *lh = P.lh;
  udp_extra *x;
  /* only from deliver, with the box of the batch's socket (not by hand) */
  if (lh == NULL || lh->collected || lua_touserdata(L, 1) != (void *)lh->box)
    return 0;
  x = udp_extra_of(lh);
  while (P.next < P.n && can_deliver(lh)) {
    unsigned i = P.next++;
    if (lua_getiuservalue(L, 1, UDP_UV_ONMESSAGE) == LUA_TNIL)
      lua_pop(L, 1);
    else {
      push_datagram(L, x, i);
      if (x->own_read) push_info(L, x, i);
      ludp_udp.paths.delivered++;
      lua_call(L, 2, 0);
      R.now.ip = NULL; /* its peer's string may go now */
    }
    ludp_after_callback(L);
  }
  udp_flush(lh); /* the replies first: what follows is not on their way */
  collect_ahead(L);
  make_spare(L, x);
  return 0;
}

/* Forgets what waits, the carried copy included. */
static void drop_pending (void) {
  P.lh = NULL;
  P.n = P.next = 0;
  free(R.carried);
  R.carried = NULL;
}

static void deliver (ludp_handle *lh);

/* A tick: delivers what a failed batch left, if it still waits. */
static int deliver_carried (lua_State *L) {
  (void)L;
  if (P.lh != NULL && P.next < P.n) deliver(P.lh);
  return 0;
}

/*
** An error nothing handled stopped the loop in the middle of a batch:
** whoever runs the loop gets it from run() and may run it again (busted,
** a script under stock lua5.4). The datagrams after the failing one were
** read from the kernel already: they are copied out of the receive
** buffer, which the next read reuses, and delivered first when the loop
** runs again. Returns 0 when they cannot be kept (no memory).
*/
static int carry (lua_State *L) {
  size_t total = 0, off = 0;
  unsigned i;
  char *copy;
  for (i = P.next; i < P.n; i++)
    total += P.d[i].len;
  copy = malloc(total > 0 ? total : 1);
  if (copy == NULL) return 0;
  for (i = P.next; i < P.n; i++) {
    memcpy(copy + off, P.d[i].base, P.d[i].len);
    P.d[i].base = copy + off;
    off += P.d[i].len;
  }
  free(R.carried); /* what an earlier failure carried, copied again */
  R.carried = copy;
  lua_pushcfunction(L, deliver_carried);
  ludp_next_tick(L, 0);
  return 1;
}

/* Delivers what waits; the replies made meanwhile leave together. */
static void deliver (ludp_handle *lh) {
  lua_State *L = lh->L;
  udp_extra *x = udp_extra_of(lh);
  /* A lone datagram's reply goes at once: nothing would share its
  ** sendmmsg, and it leaves before the way back out of the Lua call. */
  x->in_batch = P.n - P.next > 1;
  while (P.next < P.n && can_deliver(lh) && lh->self_ref != LUA_NOREF) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &deliver_key);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lh->self_ref); /* the box */
    ludp_call(L, 1); /* an error: reported, and the loop goes on */
    R.now.ip = NULL; /* the listener that failed is over */
  }
  if (P.next >= P.n || !ludp_failed() || lh->closing ||
      lh->cb_ref == LUA_NOREF || !carry(L))
    drop_pending();
  x->in_batch = 0;
  /* deliver_batch flushed, unless a listener's error cut it short */
  udp_flush(lh);
  ludp_after_callback(L); /* the errors of refused replies, if any */
}


/* ------------------------------------------------------------- reading */

/*
** Every socket is read here, not by libuv. When epoll says a socket is
** readable, libuv calls on_alloc, which reads it with recvmmsg, up to
** RECV_WIDTH datagrams a call (libuv 1.44's own recvmmsg takes at most
** 20, and a flood from many peers pays its system calls per batch: one
** receive and one send call each), and hands libuv an empty buffer: libuv
** reads nothing itself and calls on_recv with ENOBUFS, where a recv_stop
** made meanwhile takes effect.
**
** A read that came back short found the socket empty. When it had read
** one datagram or none, the first read after that is most often of one
** datagram too: a request. recvmmsg costs such a request more than
** recvmsg before its reply can leave, so read_lone reads it with recvmsg
** and delivers it; then recvmmsg reads what else came, or finds the
** socket empty (as plain C on libuv does, after the reply). A socket
** whose reads bring several datagrams, full or not, is read by recvmmsg
** only: there the lone read would cost a system call more each time,
** and its reply one more. A socket with recvInfo or maxDatagramSize is
** always read by recvmmsg, with a control buffer per datagram or slots
** of its size.
*/

/*
** Reads one datagram with recvmsg and delivers it (see above). Returns 1
** when read_batches should read on, 0 when the socket was empty, failed (the
** failure is reported as libuv's would be) or stopped receiving. While it
** delivers, a recv_stop waits for on_recv, which libuv calls as soon as
** on_alloc returns: stopped now, libuv would call a NULL callback.
*/
static int read_lone (ludp_handle *lh) {
  udp_extra *x = udp_extra_of(lh);
  struct msghdr m;
  struct iovec iov;
  uv_os_fd_t fd;
  ssize_t n;
  if (P.n > 0 || !can_deliver(lh) || uv_fileno(lh->h, &fd) != 0)
    return 1; /* read_batches reads as usual */
  iov.iov_base = R.buf;
  iov.iov_len = RECV_SLICE;
  memset(&m, 0, sizeof m);
  m.msg_name = &P.d[0].from;
  m.msg_namelen = sizeof P.d[0].from;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  do
    n = recvmsg(fd, &m, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  x->reading = 1;
  if (n >= 0) {
    ludp_udp.paths.read_lone++;
    x->counts.received++;
    x->counts.received_bytes += (uint64_t)n;
    P.lh = lh;
    P.d[0].base = R.buf;
    P.d[0].len = (size_t)n;
    P.n = 1;
    deliver(lh);
  }
  else if (errno == EAGAIN || errno == EWOULDBLOCK)
    x->idle = 1;
  else
    report_recv_failure(lh, uv_translate_sys_error(errno));
  x->reading = 0;
  return n >= 0 && can_deliver(lh) && !x->stopping;
}

/* Fills R.info[i] from the control messages of message m. */
static void parse_info (unsigned i, struct msghdr *m) {
  struct cmsghdr *cm;
  R.info[i].local.sa.sa_family = 0;
  R.info[i].ifindex = 0;
  R.info[i].tos = -1;
  R.info[i].truncated = (m->msg_flags & MSG_TRUNC) != 0;
  for (cm = CMSG_FIRSTHDR(m); cm != NULL; cm = CMSG_NXTHDR(m, cm)) {
    if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      struct sockaddr_in *a = &R.info[i].local.in4;
      memcpy(&pi, CMSG_DATA(cm), sizeof pi);
      memset(a, 0, sizeof *a);
      a->sin_family = AF_INET;
      a->sin_addr = pi.ipi_addr;
      R.info[i].ifindex = pi.ipi_ifindex;
    }
    else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo pi;
      struct sockaddr_in6 *a = &R.info[i].local.in6;
      memcpy(&pi, CMSG_DATA(cm), sizeof pi);
      memset(a, 0, sizeof *a);
      a->sin6_family = AF_INET6;
      a->sin6_addr = pi.ipi6_addr;
      if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
        a->sin6_scope_id = pi.ipi6_ifindex;
      R.info[i].ifindex = (int)pi.ipi6_ifindex;
    }
    else if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TOS)
      R.info[i].tos = *(unsigned char *)CMSG_DATA(cm);
    else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_TCLASS) {
      int tc;
      memcpy(&tc, CMSG_DATA(cm), sizeof tc);
      R.info[i].tos = tc & 0xff;
    }
  }
}

/*
** Points the first 'n' headers of the recvmmsg at their slots of 'slot'
** bytes, with a control buffer each when 'ctl'. Only the headers the last
** call used (the kernel wrote their lengths) are made again, unless the
** slots or control buffers are not the last socket's.
*/
static void ready_headers (size_t slot, int ctl, unsigned n) {
  unsigned i;
  if (R.own.slot != slot || R.own.ctl_on != ctl) {
    R.own.slot = slot;
    R.own.ctl_on = ctl;
    n = RECV_WIDTH;
  }
  for (i = 0; i < n; i++) {
    struct msghdr *m = &R.own.msgs[i].msg_hdr;
    R.own.iov[i].iov_base = R.buf + i * slot;
    R.own.iov[i].iov_len = slot;
    m->msg_name = &P.d[i].from;
    m->msg_namelen = sizeof P.d[i].from;
    m->msg_iov = &R.own.iov[i];
    m->msg_iovlen = 1;
    m->msg_control = ctl ? R.own.ctl[i].buf : NULL;
    m->msg_controllen = ctl ? sizeof R.own.ctl[i].buf : 0;
    m->msg_flags = 0;
  }
}

/*
** Reads lh with recvmmsg and delivers each batch, a few batches per
** wake-up at most (as libuv's own reading, so that a flood on one socket
** does not starve the others; epoll is level-triggered, so what is left
** wakes the loop again). A short read leaves the socket idle.
*/
#define READ_ROUNDS 4

static void read_batches (ludp_handle *lh) {
  udp_extra *x = udp_extra_of(lh);
  size_t slot = x->max_dgram ? x->max_dgram : RECV_SLICE;
  int rounds = READ_ROUNDS;
  uv_os_fd_t fd;
  if (P.n > 0) deliver(P.lh); /* what a failed batch left */
  if (P.n > 0 || !can_deliver(lh) || uv_fileno(lh->h, &fd) != 0) return;
  x->reading = 1;
  while (rounds-- > 0 && can_deliver(lh) && !x->stopping && !x->paused) {
    unsigned k;
    int n;
    ready_headers(slot, x->recv_info, R.own.used);
    R.own.used = 0;
    do
      n = recvmmsg(fd, R.own.msgs, RECV_WIDTH, MSG_DONTWAIT, NULL);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        x->idle = 1;
      else
        report_recv_failure(lh, uv_translate_sys_error(errno));
      break;
    }
    R.own.used = (unsigned)n;
    for (k = 0; k < (unsigned)n; k++) {
      P.d[k].base = R.buf + k * slot;
      P.d[k].len = R.own.msgs[k].msg_len;
      x->counts.received++;
      x->counts.received_bytes += P.d[k].len;
      if (x->own_read) {
        parse_info(k, &R.own.msgs[k].msg_hdr);
        x->counts.truncated += R.info[k].truncated;
      }
    }
    ludp_udp.paths.read_mmsg += n;
    ludp_udp.paths.recvmmsg++;
    P.lh = lh;
    P.n = (unsigned)n;
    P.next = 0;
    deliver(lh);
    if ((unsigned)n < RECV_WIDTH) { /* found empty */
      x->idle = n <= 1;             /* after a lone one: read_lone next */
      break;
    }
    if (P.n > 0) break; /* carried */
  }
  x->reading = 0;
}

static void on_alloc (uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  ludp_handle *lh = h->data;
  udp_extra *x = udp_extra_of(lh);
  (void)suggested;
  buf->base = NULL;
  buf->len = 0;
  if (ludp_failed()) return; /* the loop stops: read on when run again */
  if (x->idle) {
    x->idle = 0;
    if (!x->own_read && !read_lone(lh)) return; /* empty, or stopped */
  }
  read_batches(lh);
}

/* Called by libuv after on_alloc, with ENOBUFS for its empty buffer. */
static void on_recv (uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                     const struct sockaddr *addr, unsigned flags) {
  ludp_handle *lh = h->data;
  udp_extra *x = udp_extra_of(lh);
  (void)buf;
  (void)addr;
  (void)flags;
  if (x->stopping) { /* asked for while on_alloc delivered */
    x->stopping = 0;
    uv_udp_recv_stop(h);
    return;
  }
  if (nread < 0 && nread != UV_ENOBUFS && can_deliver(lh))
    report_recv_failure(lh, (int)nread);
}


/* ------------------------------------------------------------- methods */

/* Asks the kernel for the control messages behind recvInfo: packet info
** and TOS; on an IPv6 socket also the TOS of IPv4 datagrams (mapped). */
static int enable_info (ludp_handle *lh) {
  int on = 1;
  uv_os_fd_t fd;
  if (uv_fileno(lh->h, &fd) != 0) return 0; /* no socket: nothing to ask */
  if (udp_extra_of(lh)->family == AF_INET6) {
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) != 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof on) != 0)
      return uv_translate_sys_error(errno);
    (void)setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof on);
    return 0;
  }
  if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof on) != 0)
    return uv_translate_sys_error(errno);
  return 0;
}

/* Starts libuv's reading; 0 when it reads (or already did). */
static int start_reading (ludp_handle *lh) {
  udp_extra *x = udp_extra_of(lh);
  int r = uv_udp_recv_start(udp_of(lh), on_alloc, on_recv);
  if (r == 0 || r == UV_EALREADY) {
    x->stopping = 0; /* a stop asked for meanwhile is undone */
    if (r == 0) x->idle = 1;
    r = 0;
  }
  return r;
}

/* Stops reading; what was read already is still delivered. */
static int stop_reading (ludp_handle *lh) {
  udp_extra *x = udp_extra_of(lh);
  if (x->reading) { /* libuv is in on_alloc: on_recv stops it */
    x->stopping = 1;
    return 0;
  }
  return uv_udp_recv_stop(udp_of(lh));
}

/*
** u:recv_start(onerror) -> status. Anchors the box until close. Each
** datagram goes to the function set_onmessage gave; a failure calls
** onerror(owner, status). A paused socket starts reading at resume.
*/
int udp_recv_start (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  udp_extra *x = udp_extra_of(lh);
  int r = 0;
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (x->recv_info) r = enable_info(lh);
  if (r == 0 && !x->paused) r = start_reading(lh);
  if (r == 0) {
    x->started = 1;
    ludp_ref_set(L, &lh->cb_ref, 2);
    ludp_handle_anchor(L, lh, 1);
  }
  lua_pushinteger(L, r);
  return 1;
}

/* u:recv_stop() -> status */
int udp_recv_stop (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  udp_extra *x = udp_extra_of(lh);
  x->in_batch = 0;              /* replies go now, one by one */
  if (P.lh == lh) P.next = P.n; /* nothing more */
  x->started = 0;
  lua_pushinteger(L, stop_reading(lh));
  return 1;
}

/* u:set_paused(flag) -> status: pause() and resume(). Reading stops or
** starts again when the socket reads (recv_start ran); before that the
** flag waits for it. */
int udp_set_paused (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  udp_extra *x = udp_extra_of(lh);
  int pause = lua_toboolean(L, 2), r = 0;
  if (pause != x->paused) {
    x->paused = (unsigned char)pause;
    if (x->started) r = pause ? stop_reading(lh) : start_reading(lh);
  }
  lua_pushinteger(L, r);
  return 1;
}

/* u:set_recv(recv_info, max_size) -> status: createSocket's recvInfo and
** maxDatagramSize (1..65535; 65535: whole datagrams), before the bind. */
int udp_set_recv (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  udp_extra *x = udp_extra_of(lh);
  lua_Integer max = luaL_optinteger(L, 3, 65535);
  luaL_argcheck(L, max >= 1 && max <= 65535, 3, "size out of range");
  x->recv_info = (unsigned char)lua_toboolean(L, 2);
  x->max_dgram = (uint16_t)(max == 65535 ? 0 : max);
  x->own_read = x->recv_info || x->max_dgram != 0;
  lua_pushinteger(L, 0);
  return 1;
}

/* Makes libuv register the socket with epoll again (udp_quiet.c could
** not put it back): reading stopped and started at once (libuv would call
** a NULL callback if it stayed stopped inside on_alloc). */
void udp_recv_rewatch (ludp_handle *lh) {
  uv_udp_recv_stop(udp_of(lh));
  if (uv_udp_recv_start(udp_of(lh), on_alloc, on_recv) == 0)
    udp_extra_of(lh)->idle = 1;
}

/* The socket being read, when 'owner' is its owner: the one a reply from
** its listener is for, found without the owners table. Its handle is
** open while it is read (udp_recv_close forgets it first). */
ludp_handle *udp_recv_owned_by (const void *owner) {
  ludp_handle *lh = P.lh;
  return lh != NULL && owner != NULL && udp_extra_of(lh)->owner == owner &&
             !lh->closing
           ? lh
           : NULL;
}

/* Before uv_close: what it carried from a failed batch goes. */
void udp_recv_close (const ludp_handle *lh) {
  if (P.lh == lh) drop_pending();
}

/* Registers deliver_batch and the spare rinfo slot in the registry. The
** peers' strings kept are the new state's, none yet. */
void udp_recv_open (lua_State *L) {
  int i;
  for (i = 0; i < UP_COUNT; i++)
    lua_pushstring(L, up_names[i]);
  lua_newtable(L);  /* filled as peers come */
  if (R.peers_kept) /* a state before this one's: not its strings */
    memset(R.peers, 0, sizeof R.peers);
  R.peers_kept = 0;
  lua_pushcclosure(L, deliver_batch, UP_PEERS);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &deliver_key);
  for (i = 0; i < 2; i++) {
    lua_pushboolean(L, 0);
    R.spare[i].ref = luaL_ref(L, LUA_REGISTRYINDEX);
    R.spare[i].made = 0;
  }
  lua_pushboolean(L, 0);
  R.local_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}
