/*
** udp_reply.c
** reply() on a socket made with recvInfo: a datagram sent from the local
** address, and through the interface, that another one arrived at
** (IP_PKTINFO's ipi_spec_dst, IPV6_PKTINFO's address, on the message),
** which libuv's sends cannot carry. u:send_from is the binding's call
** for dgram's reply; Socket.reply's common form, sock:reply(msg, rinfo)
** without a callback, is done here in C in front of it, as Socket.send's
** reply form is in udp_send.c: a DNS-style server's answer is no Lua call.
** libuv's queue cannot carry the source address either, so a reply the
** kernel cannot take now fails (EAGAIN) instead of waiting.
*/

#define _GNU_SOURCE /* in6_pktinfo, mmsghdr in udp.h */
#include <errno.h>
#include <string.h>

#include "udp.h"

/* Whether 'a' can be no datagram's source (multicast, broadcast): a reply
** to a datagram sent to one leaves with the interface's own address. */
static int not_a_source (const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET6) {
    const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    return IN6_IS_ADDR_MULTICAST(a) ||
           (IN6_IS_ADDR_V4MAPPED(a) &&
            (a->s6_addr[12] >= 224 || a->s6_addr[15] == 255));
  }
  uint32_t v4 = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
  return v4 >= 0xe0000000u || (v4 & 0xff) == 0xff;
}

/*
** Sends the datagram in 'bufs' to 'to' from 'local' through 'ifindex'
** (0: the route's) now, after the socket's batched replies. Returns the
** bytes sent (counted) or a negative status (for the caller to count).
*/
static int send_from_now (ludp_handle *lh, const uv_buf_t *bufs, int n,
                          const struct sockaddr *to,
                          const struct sockaddr *local, unsigned ifindex) {
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov[MAX_BUFS];
  struct msghdr m;
  struct cmsghdr *cm = &ctl.align;
  udp_counts *c = &udp_extra_of(lh)->counts;
  uv_os_fd_t fd;
  ssize_t sent;
  int k, r;
  if (ludp_udp.batch.owner == lh) udp_flush(lh); /* in order */
  if ((r = uv_fileno(lh->h, &fd)) != 0) return r;
  for (k = 0; k < n; k++) {
    iov[k].iov_base = bufs[k].base;
    iov[k].iov_len = bufs[k].len;
  }
  memset(&m, 0, sizeof m);
  memset(&ctl, 0, sizeof ctl);
  m.msg_name = (void *)to;
  m.msg_namelen = ludp_sockaddr_len(to);
  m.msg_iov = iov;
  m.msg_iovlen = (size_t)n;
  m.msg_control = ctl.buf;
  if (local->sa_family == AF_INET6) {
    struct in6_pktinfo pi;
    memset(&pi, 0, sizeof pi);
    if (!not_a_source(local))
      pi.ipi6_addr = ((const struct sockaddr_in6 *)local)->sin6_addr;
    pi.ipi6_ifindex = ifindex;
    cm->cmsg_level = IPPROTO_IPV6;
    cm->cmsg_type = IPV6_PKTINFO;
    cm->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(cm), &pi, sizeof pi);
    m.msg_controllen = CMSG_SPACE(sizeof pi);
  }
  else {
    struct in_pktinfo pi;
    memset(&pi, 0, sizeof pi);
    if (!not_a_source(local))
      pi.ipi_spec_dst = ((const struct sockaddr_in *)local)->sin_addr;
    pi.ipi_ifindex = (int)ifindex;
    cm->cmsg_level = IPPROTO_IP;
    cm->cmsg_type = IP_PKTINFO;
    cm->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(cm), &pi, sizeof pi);
    m.msg_controllen = CMSG_SPACE(sizeof pi);
  }
  do
    sent = sendmsg(fd, &m, MSG_DONTWAIT);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) return uv_translate_sys_error(errno);
  c->sent++;
  c->sent_bytes += (uint64_t)sent;
  return (int)sent;
}

/* Parses the local address 'ip' for lh (port 0), through the cache of
** the last one: a server answers from the same few addresses. */
static int parse_local (ludp_handle *lh, const char *ip, size_t len,
                        const struct sockaddr **out) {
  return ludp_sockaddr_parse(&ludp_udp.src, udp_extra_of(lh)->family, ip, len,
                             0, out);
}

/*
** u:send_from(data, ip, port, local_ip, ifindex) -> status, bytes
** Sends now from local_ip (a literal of the socket's family; an
** IPv4-mapped one for IPv4 peers of an IPv6 socket, which the kernel
** takes) through the interface 'ifindex' (0: the route's). Status 0 or
** negative, as u:send; no callback, no queue.
*/
int udp_send_from (lua_State *L) {
  ludp_handle *lh = udp_check(L);
  const struct sockaddr *to, *local;
  uv_buf_t bufs[MAX_BUFS];
  size_t total, len;
  const char *ip;
  lua_Integer ifindex;
  int n, r;
  n = udp_get_bufs(L, 2, bufs, &total);
  ip = luaL_checklstring(L, 5, &len);
  ifindex = luaL_checkinteger(L, 6);
  luaL_argcheck(L, ifindex >= 0 && ifindex <= 0x7fffffff, 6,
                "interface out of range");
  if ((r = udp_arg_addr(L, lh, 3, &to)) == 0 &&
      (r = parse_local(lh, ip, len, &local)) == 0)
    r = send_from_now(lh, bufs, n, to, local, (unsigned)ifindex);
  if (r < 0) {
    udp_extra_of(lh)->counts.send_errors++;
    lua_pushinteger(L, r);
    return 1;
  }
  lua_pushinteger(L, 0);
  lua_pushinteger(L, r);
  return 2;
}


/* ---------------------------------------------------- the common form */

/* Upvalues of socket_reply. */
enum {
  UP_REPLY = 1, /* dgram's own reply (socket_control.lua) */
  UP_OWNERS,    /* owner -> box, as Socket.send's (udp_send.c) */
  UP_MT,        /* the metatable of UDP boxes */
  UP_ADDRESS,   /* rinfo's keys */
  UP_PORT,
  UP_LOCAL,
  UP_INTERFACE,
  UP_COUNT = UP_INTERFACE
};
static const char *const keys[] = {"address", "port", "localAddress",
                                   "interface"};

/* Pushes rinfo[key] (rinfo at 'i', the key upvalue 'up'); its type. */
static int field (lua_State *L, int i, int up) {
  lua_pushvalue(L, lua_upvalueindex(up));
  return lua_rawget(L, i);
}

/*
** Replies msg (at 2) to rinfo (at 3) on lh from C: sends it, or reports
** the kernel's refusal as the socket's 'error' (a reply without a
** callback), and returns 1; or returns 0, having done nothing, when any
** field is unusual, so that dgram's reply redoes it and raises or falls
** back to send() as it always does. rinfo is the public table the socket
** handed the listener.
*/
static int reply_fast (lua_State *L, ludp_handle *lh) {
  const struct sockaddr *to, *local;
  const char *ip, *here;
  size_t iplen, herelen;
  lua_Integer port, ifindex;
  uv_buf_t buf;
  int top = lua_gettop(L), r;
  if (field(L, 3, UP_ADDRESS) != LUA_TSTRING ||
      field(L, 3, UP_PORT) != LUA_TNUMBER || !lua_isinteger(L, -1) ||
      field(L, 3, UP_LOCAL) != LUA_TSTRING ||
      field(L, 3, UP_INTERFACE) != LUA_TNUMBER || !lua_isinteger(L, -1))
    return 0;
  ip = lua_tolstring(L, top + 1, &iplen);
  port = lua_tointeger(L, top + 2);
  here = lua_tolstring(L, top + 3, &herelen);
  ifindex = lua_tointeger(L, top + 4);
  if (port < 1 || port > 65535 || iplen == 0 || ifindex < 0 ||
      ifindex > 0x7fffffff || udp_dst(lh, ip, iplen, (int)port, &to) != 0 ||
      parse_local(lh, here, herelen, &local) != 0)
    return 0;
  buf.base = (char *)lua_tolstring(L, 2, &buf.len);
  r = send_from_now(lh, &buf, 1, to, local, (unsigned)ifindex);
  if (r < 0) udp_report_send_error(lh, r, to); /* counted there */
  ludp_udp.paths.reply_from++;
  return 1;
}

/*
** Socket.reply. Its common form, sock:reply(msg, rinfo) with a string and
** no callback, on a socket made with recvInfo that may send at once (see
** u:set_fast), is done here; anything else goes to dgram's reply.
*/
static int socket_reply (lua_State *L) {
  int n = lua_gettop(L);
  if (n == 3 && lua_type(L, 2) == LUA_TSTRING && lua_type(L, 3) == LUA_TTABLE) {
    lua_pushvalue(L, 1);
    if (lua_rawget(L, lua_upvalueindex(UP_OWNERS)) == LUA_TUSERDATA) {
      ludp_handle *lh = ludp_handle_test(L, 4, lua_upvalueindex(UP_MT));
      if (lh != NULL && udp_extra_of(lh)->fast && udp_extra_of(lh)->recv_info &&
          reply_fast(L, lh))
        return 0;
    }
    lua_settop(L, n);
  }
  lua_pushvalue(L, lua_upvalueindex(UP_REPLY));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

/* core.socket_reply(reply) -> reply with its common form above in front. */
static int core_socket_reply (lua_State *L) {
  int i;
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  udp_push_owners(L);
  luaL_getmetatable(L, "ludp.udp");
  for (i = 0; i < UP_COUNT - UP_MT; i++)
    lua_pushstring(L, keys[i]);
  lua_pushcclosure(L, socket_reply, UP_COUNT);
  return 1;
}

/* Adds core.socket_reply to the table on top. */
void udp_reply_open (lua_State *L) {
  lua_pushcfunction(L, core_socket_reply);
  lua_setfield(L, -2, "socket_reply");
}
