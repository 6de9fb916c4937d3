/*
** sockaddr.c
** Socket addresses between C and Lua: parsing "ip" + port for a socket's
** family (remembering the last destination), the strings of received
** peers, and core.isip, Node's net.isIP. No state of its own: the cache
** belongs to the caller (the UDP engine's state).
*/

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "sockaddr.h"


socklen_t ludp_sockaddr_len (const struct sockaddr *sa) {
  return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                   : sizeof(struct sockaddr_in);
}

int ludp_sockaddr_port (const struct sockaddr *sa) {
  return ntohs(sa->sa_family == AF_INET6
                 ? ((const struct sockaddr_in6 *)sa)->sin6_port
                 : ((const struct sockaddr_in *)sa)->sin_port);
}

int ludp_sockaddr_same (const ludp_sockaddr *a, const ludp_sockaddr *b) {
  if (a->sa.sa_family != b->sa.sa_family) return 0;
  if (a->sa.sa_family == AF_INET)
    return a->in4.sin_port == b->in4.sin_port &&
           a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
  return a->in6.sin6_port == b->in6.sin6_port &&
         a->in6.sin6_flowinfo == b->in6.sin6_flowinfo &&
         a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
         memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
}

int ludp_sockaddr_same_ip (const struct sockaddr *a, const struct sockaddr *b) {
  if (a->sa_family != b->sa_family) return 0;
  if (a->sa_family == AF_INET)
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
           ((const struct sockaddr_in *)b)->sin_addr.s_addr;
  else {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
    const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
    return memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0 &&
           x->sin6_scope_id == y->sin6_scope_id;
  }
}


/* --------------------------------------------------------------- parse */

/* Whether slot 'c' holds 'ip' and 'port' for 'family'. */
static int holds (const ludp_addr_cache *c, int family, const char *ip,
                  size_t len, int port) {
  return c->iplen == len && c->port == port && c->family == family &&
         memcmp(c->ip, ip, len) == 0;
}

int ludp_sockaddr_parse (ludp_addr_cache *c, int family, const char *ip,
                         size_t len, int port, const struct sockaddr **out) {
  int r;
  if (holds(c, family, ip, len, port)) {
    *out = &c->sa.sa;
    return 0;
  }
  if (len >= sizeof(c->ip) || memchr(ip, '\0', len) != NULL)
    return UV_EINVAL; /* C would read "127.0.0.1\0x" as 127.0.0.1 */
  if (family == AF_INET6)
    r = uv_ip6_addr(ip, port, &c->sa.in6);
  else
    r = uv_ip4_addr(ip, port, &c->sa.in4);
  if (r != 0) {
    c->family = 0;
    return r;
  }
  memcpy(c->ip, ip, len);
  c->iplen = len;
  c->port = port;
  c->family = family;
  *out = &c->sa.sa;
  return 0;
}


int ludp_sockaddr_lookup (ludp_dst_cache *c, int family, const char *ip,
                          size_t len, int port, const struct sockaddr **out) {
  /* Strings lie at irregular strides: a full mix (murmur3's finalizer),
  ** so that 256 peers fill as many slots as random keys would. */
  uint64_t h = (uint64_t)(uintptr_t)ip ^ ((uint64_t)port << 48);
  ludp_addr_cache *a, *b;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdu;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53u;
  h ^= h >> 33;
  /* Two slots per key: the first holds the latest of the two keys, the
  ** second the one before, so that two peers that share a slot do not
  ** push each other out at every reply. */
  a = &c->slot[h & (LUDP_DST_SLOTS - 1) & ~(size_t)1];
  b = a + 1;
  if (holds(a, family, ip, len, port)) {
    *out = &a->sa.sa;
    return 0;
  }
  if (holds(b, family, ip, len, port)) {
    ludp_addr_cache t = *a;
    *a = *b;
    *b = t;
    *out = &a->sa.sa;
    return 0;
  }
  if (a->family != 0) *b = *a;
  c->parsed++;
  return ludp_sockaddr_parse(a, family, ip, len, port, out);
}


/* -------------------------------------------------------------- format */

/* Writes the dotted quad of 'a' into 'out'; returns its length. Shorter
** than inet_ntop, which each received datagram from a new peer costs. */
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

int ludp_push_ip (lua_State *L, const struct sockaddr *sa) {
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
  }
  else
    lua_pushlstring(L, ip,
                    ip4_format(&((const struct sockaddr_in *)sa)->sin_addr,
                               ip));
  return 1;
}

int ludp_push_sockaddr (lua_State *L, const struct sockaddr *sa) {
  ludp_push_ip(L, sa);
  lua_pushinteger(L, ludp_sockaddr_port(sa));
  if (sa->sa_family == AF_INET6)
    lua_pushliteral(L, "IPv6");
  else
    lua_pushliteral(L, "IPv4");
  return 3;
}


/* ---------------------------------------------------------------- isip */

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

void ludp_open_sockaddr (lua_State *L) {
  lua_pushcfunction(L, core_isip);
  lua_setfield(L, -2, "isip");
}
