/*
** udp.c
** The binding of uv_udp_t for dgram.lua, as Node's udp_wrap is for
** dgram.js: creation, bind, connect, queries, options and lifetime. The
** receive engine is udp_recv.c, sends and the reply batcher udp_send.c,
** reply() from a local address udp_reply.c,
** addresses sockaddr.c.
**
** The contract with Lua: core.udp(family, owner) makes a box for one
** socket; owner is what callbacks get first, and the key under which
** Socket.send finds the box. dgram.lua hands the box, through calls,
** what the hot path needs: set_onmessage(fn) the function each datagram
** goes to, set_fast(flag) whether the reply form of send may be done in
** C. C reads no field of any Lua table.
**
** One return convention: a method that can fail returns a status first
** (0, or a negative libuv code, core.errno's values), and its results
** after a 0. Misuse (a wrong type, a closed handle) raises.
*/

#define _GNU_SOURCE /* mmsghdr in udp.h */
#include <errno.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udp.h"

static const char UDP_T[] = "ludp.udp";

/* Zero, so in .bss: its buffers take no room in the binary, and pages
** never written no memory. */
udp_engine ludp_udp;

ludp_handle *udp_check (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  if (ludp_udp.batch.owner == lh) udp_flush(lh);
  return lh;
}

int udp_push_onerror (lua_State *L, ludp_handle *lh) {
  if (lh->collected || L == NULL || lh->cb_ref == LUA_NOREF ||
      lh->self_ref == LUA_NOREF)
    return 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, lh->cb_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, lh->self_ref);
  lua_getiuservalue(L, -1, UDP_UV_OWNER);
  lua_remove(L, -2);
  return 1;
}

/*
** A reply to the datagram being delivered names its peer with the string
** rinfo.address holds (that object: Lua keeps one string of each short
** text, so an equal literal is it too; the socket's kept peers hold it
** while the listeners run) and rinfo.port: that is the sockaddr the
** datagram came from, with no parse and no cache. Any other destination
** goes through the cache of those parsed lately.
*/
int udp_dst (ludp_handle *lh, const char *ip, size_t len, int port,
             const struct sockaddr **sa) {
  int family = udp_extra_of(lh)->family;
  const ludp_sockaddr *from = ludp_udp.recv.now.from;
  if (ip == ludp_udp.recv.now.ip && port == ludp_udp.recv.now.port &&
      from->sa.sa_family == family) {
    ludp_udp.paths.reply_peer++;
    *sa = &from->sa;
    return 0;
  }
  return ludp_sockaddr_lookup(&ludp_udp.dst, family, ip, len, port, sa);
}

int udp_arg_addr (lua_State *L, ludp_handle *lh, int i,
                  const struct sockaddr **sa) {
  size_t len;
  const char *ip = luaL_checklstring(L, i, &len);
  lua_Integer port = luaL_checkinteger(L, i + 1);
  luaL_argcheck(L, port >= 0 && port <= 65535, i + 1, "port out of range");
  return udp_dst(lh, ip, len, (int)port, sa);
}

static int push_status (lua_State *L, int status) {
  lua_pushinteger(L, status);
  return 1;
}


/* ------------------------------------------------------------ lifetime */

/* Before uv_close: batched replies leave; after it they could not. */
static void udp_on_close (ludp_handle *lh) {
  udp_recv_close(lh);
  udp_extra_of(lh)->in_batch = 0;
  udp_flush(lh);
}

/* core.udp(family[, owner]) -> status, box; family 4 or 6. No socket
** exists until bind. */
static int udp_new (lua_State *L) {
  lua_Integer fam = luaL_checkinteger(L, 1);
  ludp_handle *lh;
  int r;
  luaL_argcheck(L, fam == 4 || fam == 6, 1, "family must be 4 or 6");
  lua_settop(L, 2);
  lh = ludp_handle_new(L, UDP_T, UDP_SIZE, UDP_NUV);
  udp_extra_of(lh)->family = fam == 6 ? AF_INET6 : AF_INET;
  lh->on_close = udp_on_close;
  lh->on_free = udp_send_free;
  r = uv_udp_init_ex(ludp_loop(), udp_of(lh), AF_UNSPEC | UV_UDP_RECVMMSG);
  if (r != 0) {
    *lh->box = NULL;
    free(lh);
    return push_status(L, r);
  }
  if (!lua_isnil(L, 2)) {
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 3, UDP_UV_OWNER); /* kept while the box is */
    udp_extra_of(lh)->owner = lua_topointer(L, 2);
    udp_send_owner(L, 2, 3);
  }
  lua_pushinteger(L, 0);
  lua_insert(L, 3);
  return 2;
}

/* u:set_onmessage(fn) -> 0: each datagram goes to fn(msg, rinfo); fn
** may be a callable table; nil drops what arrives. */
static int udp_set_onmessage (lua_State *L) {
  return ludp_handle_set_onmessage(L, UDP_UV_ONMESSAGE);
}

/* u:set_fast(flag) -> 0: whether Socket.send's reply form may be done
** in C for this socket (bound, unconnected, nothing waiting in dgram). */
static int udp_set_fast (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  udp_extra_of(lh)->fast = (unsigned char)lua_toboolean(L, 2);
  return push_status(L, 0);
}


/* ---------------------------------------------------- bind and connect */

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
  fd = socket(udp_extra_of(lh)->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
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
  ludp_handle *lh = udp_check(L);
  const struct sockaddr *sa;
  unsigned flags = 0;
  int r = udp_arg_addr(L, lh, 2, &sa);
  if (r != 0) return push_status(L, r);
  if (lua_toboolean(L, 4)) flags |= UV_UDP_REUSEADDR;
  if (lua_toboolean(L, 5)) flags |= UV_UDP_IPV6ONLY;
  if (lua_toboolean(L, 6) && (r = open_reuseport(lh)) != 0)
    return push_status(L, r);
  return push_status(L, uv_udp_bind(udp_of(lh), sa, flags));
}

/* u:open(fd) -> status: wraps an existing socket. */
static int udp_open (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  lua_Integer fd = luaL_checkinteger(L, 2);
  luaL_argcheck(L, fd >= 0 && fd <= 0x7fffffff, 2, "bad file descriptor");
  return push_status(L, uv_udp_open(udp_of(lh), (uv_os_sock_t)fd));
}

/* u:connect(ip, port) -> status */
static int udp_connect (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  const struct sockaddr *sa;
  int r = udp_arg_addr(L, lh, 2, &sa);
  if (r != 0) return push_status(L, r);
  return push_status(L, uv_udp_connect(udp_of(lh), sa));
}

/* u:disconnect() -> status */
static int udp_disconnect (lua_State *L) {
  return push_status(L, uv_udp_connect(udp_of(udp_check(L)), NULL));
}


/* ------------------------------------------------------------- queries */

typedef int (*name_fn)(const uv_udp_t *, struct sockaddr *, int *);

static int push_name (lua_State *L, name_fn fn) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  int r = fn(udp_of(udp_check(L)), (struct sockaddr *)&ss, &len);
  if (r != 0) return push_status(L, r);
  lua_pushinteger(L, 0);
  return 1 + ludp_push_sockaddr(L, (struct sockaddr *)&ss);
}

/* u:getsockname() -> status, address, port, family */
static int udp_getsockname (lua_State *L) {
  return push_name(L, uv_udp_getsockname);
}

/* u:getpeername() -> status, address, port, family */
static int udp_getpeername (lua_State *L) {
  return push_name(L, uv_udp_getpeername);
}

/* u:send_queue() -> size, count (cannot fail) */
static int udp_send_queue (lua_State *L) {
  uv_udp_t *u = udp_of(udp_check(L));
  lua_pushinteger(L, (lua_Integer)uv_udp_get_send_queue_size(u));
  lua_pushinteger(L, (lua_Integer)uv_udp_get_send_queue_count(u));
  return 2;
}

/* u:fileno() -> status, fd */
static int udp_fileno (lua_State *L) {
  uv_os_fd_t fd;
  int r = uv_fileno(udp_check(L)->h, &fd);
  if (r != 0) return push_status(L, r);
  lua_pushinteger(L, 0);
  lua_pushinteger(L, fd);
  return 2;
}


/* ------------------------------------------------------------- options */

static int udp_set_broadcast (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  return push_status(L, uv_udp_set_broadcast(udp_of(lh), lua_toboolean(L, 2)));
}

static int udp_set_ttl (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  int ttl = (int)luaL_checkinteger(L, 2);
  return push_status(L, uv_udp_set_ttl(udp_of(lh), ttl));
}

static int udp_set_multicast_ttl (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  int ttl = (int)luaL_checkinteger(L, 2);
  return push_status(L, uv_udp_set_multicast_ttl(udp_of(lh), ttl));
}

static int udp_set_multicast_loop (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  return push_status(L, uv_udp_set_multicast_loop(udp_of(lh),
                                                  lua_toboolean(L, 2)));
}

static int udp_set_multicast_interface (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  const char *iface = luaL_optstring(L, 2, NULL);
  return push_status(L, uv_udp_set_multicast_interface(udp_of(lh), iface));
}

/* u:set_membership(group, iface|nil, join) -> status */
static int udp_set_membership (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  const char *group = luaL_checkstring(L, 2);
  const char *iface = luaL_optstring(L, 3, NULL);
  uv_membership m = lua_toboolean(L, 4) ? UV_JOIN_GROUP : UV_LEAVE_GROUP;
  return push_status(L, uv_udp_set_membership(udp_of(lh), group, iface, m));
}

/* u:set_source_membership(source, group, iface|nil, join) -> status */
static int udp_set_source_membership (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  const char *source = luaL_checkstring(L, 2);
  const char *group = luaL_checkstring(L, 3);
  const char *iface = luaL_optstring(L, 4, NULL);
  uv_membership m = lua_toboolean(L, 5) ? UV_JOIN_GROUP : UV_LEAVE_GROUP;
  return push_status(L, uv_udp_set_source_membership(udp_of(lh), group, iface,
                                                     source, m));
}

/* u:buffer_size("recv"|"send"[, n]) -> status, size. With n > 0 it
** sets; the kernel's (doubled) value is returned either way. */
static int udp_buffer_size (lua_State *L) {
  static const char *const which[] = {"recv", "send", NULL};
  ludp_handle *lh = udp_check(L);
  int w = luaL_checkoption(L, 2, NULL, which);
  lua_Integer set = luaL_optinteger(L, 3, 0);
  int v, r;
  luaL_argcheck(L, set >= 0 && set <= 0x7fffffff, 3, "size out of range");
  v = (int)set;
  r = w == 0 ? uv_recv_buffer_size(lh->h, &v) : uv_send_buffer_size(lh->h, &v);
  if (r == 0 && set > 0) {
    v = 0;
    r = w == 0 ? uv_recv_buffer_size(lh->h, &v)
               : uv_send_buffer_size(lh->h, &v);
  }
  if (r != 0) return push_status(L, r);
  lua_pushinteger(L, 0);
  lua_pushinteger(L, v);
  return 2;
}


/* ------------------------------------------- TOS, fragments and the MTU */

/*
** u:ip_option(name[, value]) -> status[, value]: "tos" (IP_TOS /
** IPV6_TCLASS, 0..255), "dontfrag" (IP_MTU_DISCOVER's DO or WANT, the
** kernel's default / IPV6_DONTFRAG) and "mtu" (IP_MTU / IPV6_MTU of a
** connected socket, read only). With a value it sets, without it reads.
** On an IPv6 socket the IPv4 option is set too, for its IPv4-mapped
** peers, where the kernel takes it.
*/
static int udp_ip_option (lua_State *L) {
  static const char *const names[] = {"tos", "dontfrag", "mtu", NULL};
  ludp_handle *lh = udp_check(L);
  int which = luaL_checkoption(L, 2, NULL, names);
  int v6 = udp_extra_of(lh)->family == AF_INET6;
  int set = !lua_isnoneornil(L, 3), v = 0, level, name;
  socklen_t len = sizeof v;
  uv_os_fd_t fd;
  int r = uv_fileno(lh->h, &fd);
  if (r != 0) return push_status(L, r);
  level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
  if (which == 0)
    name = v6 ? IPV6_TCLASS : IP_TOS;
  else if (which == 1)
    name = v6 ? IPV6_DONTFRAG : IP_MTU_DISCOVER;
  else
    name = v6 ? IPV6_MTU : IP_MTU;
  if (set) {
    lua_Integer n = luaL_checkinteger(L, 3);
    luaL_argcheck(L, which != 2 && n >= 0 && n <= 255, 3, "out of range");
    v = (int)n;
    if (which == 1 && !v6) v = n ? IP_PMTUDISC_DO : IP_PMTUDISC_WANT;
    if (setsockopt(fd, level, name, &v, sizeof v) != 0)
      return push_status(L, uv_translate_sys_error(errno));
    if (v6) { /* the IPv4 side; a socket with IPV6_V6ONLY may refuse it */
      int v4 = which == 1 ? (n ? IP_PMTUDISC_DO : IP_PMTUDISC_WANT) : v;
      (void)setsockopt(fd, IPPROTO_IP, which == 1 ? IP_MTU_DISCOVER : IP_TOS,
                       &v4, sizeof v4);
    }
    return push_status(L, 0);
  }
  if (getsockopt(fd, level, name, &v, &len) != 0)
    return push_status(L, uv_translate_sys_error(errno));
  if (which == 1 && !v6) v = v == IP_PMTUDISC_DO;
  lua_pushinteger(L, 0);
  lua_pushinteger(L, v);
  return 2;
}


/* ------------------------------------------------------------ counters */

/* The kernel's count of datagrams it dropped for the socket: sk_drops,
** the counter SO_RXQ_OVFL hands out with each datagram, read with
** SO_MEMINFO: current even while nothing is read, and nothing to pay
** per datagram. 0 before the socket exists. */
static lua_Integer kernel_drops (ludp_handle *lh) {
#ifdef SO_MEMINFO
  uint32_t mem[SK_MEMINFO_VARS];
  socklen_t len = sizeof mem;
  uv_os_fd_t fd;
  if (uv_fileno(lh->h, &fd) == 0 &&
      getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 &&
      len > SK_MEMINFO_DROPS * sizeof mem[0])
    return (lua_Integer)mem[SK_MEMINFO_DROPS];
#endif
  (void)lh;
  return 0;
}

/* u:stats() -> a new table of the socket's counts (see udp_counts). */
static int udp_stats (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  const udp_counts *c = &udp_extra_of(lh)->counts;
  lua_createtable(L, 0, 8);
#define COUNT(field, name)                   \
  lua_pushinteger(L, (lua_Integer)c->field); \
  lua_setfield(L, -2, name)
  COUNT(received, "received");
  COUNT(received_bytes, "receivedBytes");
  COUNT(sent, "sent");
  COUNT(sent_bytes, "sentBytes");
  COUNT(send_errors, "sendErrors");
  COUNT(truncated, "truncated");
  COUNT(blocked, "blocked");
#undef COUNT
  lua_pushinteger(L, kernel_drops(lh));
  lua_setfield(L, -2, "kernelDrops");
  return 1;
}

/* u:count(what) -> 0: counts a datagram dgram dropped ("blocked") or a
** send it failed before the binding ("send_error"). */
static int udp_count (lua_State *L) {
  static const char *const what[] = {"blocked", "send_error", NULL};
  ludp_handle *lh = ludp_handle_check(L, 1);
  udp_counts *c = &udp_extra_of(lh)->counts;
  if (luaL_checkoption(L, 2, NULL, what) == 0)
    c->blocked++;
  else
    c->send_errors++;
  return push_status(L, 0);
}


/* core.udp_paths() -> { read_lone = n, ... }: how many datagrams took
** each path since the start (see udp_paths in udp.h). */
static int core_udp_paths (lua_State *L) {
  const udp_paths *p = &ludp_udp.paths;
  lua_createtable(L, 0, 15);
#define FIELD(name)            \
  lua_pushinteger(L, p->name); \
  lua_setfield(L, -2, #name)
  FIELD(read_lone);
  FIELD(read_mmsg);
  FIELD(recvmmsg);
  FIELD(delivered);
  FIELD(reply_fast);
  FIELD(batched);
  FIELD(sendmmsg);
  FIELD(gso_sends);
  FIELD(gso_datagrams);
  FIELD(try_send);
  FIELD(queued);
  FIELD(reply_from);
  FIELD(reply_peer);
  FIELD(quiet);
  lua_pushinteger(L, (lua_Integer)ludp_udp.dst.parsed);
  lua_setfield(L, -2, "dst_parsed");
#undef FIELD
  return 1;
}


static const luaL_Reg udp_methods[] = {
  {"bind", udp_bind},
  {"open", udp_open},
  {"connect", udp_connect},
  {"disconnect", udp_disconnect},
  {"recv_start", udp_recv_start},
  {"recv_stop", udp_recv_stop},
  {"set_onmessage", udp_set_onmessage},
  {"set_fast", udp_set_fast},
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
  {"ip_option", udp_ip_option},
  {"set_recv", udp_set_recv},
  {"set_paused", udp_set_paused},
  {"send_from", udp_send_from},
  {"stats", udp_stats},
  {"count", udp_count},
  {NULL, NULL},
};

/* Adds core.udp, core.udp_paths, core.socket_send and core.isip to the
** table on top. */
void ludp_open_udp (lua_State *L) {
  ludp_handle_type(L, UDP_T, udp_methods);
  udp_recv_open(L);
  udp_send_open(L);
  udp_reply_open(L);
  ludp_open_sockaddr(L);
  lua_pushcfunction(L, udp_new);
  lua_setfield(L, -2, "udp");
  lua_pushcfunction(L, core_udp_paths);
  lua_setfield(L, -2, "udp_paths");
}
