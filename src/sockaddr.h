/*
** sockaddr.h
** IPv4 and IPv6 socket addresses between C and Lua: parsing an address
** string and port (with a cache of the last destination), formatting a
** peer for Lua, and comparing peers. Used by the UDP binding and its
** receive and send engines.
*/

#ifndef LUDP_SOCKADDR_H
#define LUDP_SOCKADDR_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "ludp.h"

/* An IPv4 or IPv6 socket address, without sockaddr_storage's 128 bytes:
** there are as many of these as sockets. */
typedef union {
  struct sockaddr sa;
  struct sockaddr_in in4;
  struct sockaddr_in6 in6;
} ludp_sockaddr;

/* The last destination parsed, so that replies to the same peer need no
** parse (an echo server's sockets reply to the same few peers). */
typedef struct {
  char ip[64];
  size_t iplen;
  int port;
  int family; /* 0: empty (all zero is empty) */
  ludp_sockaddr sa;
} ludp_addr_cache;

/* The destinations parsed lately, in pairs of slots chosen by where the
** address's string is and the port: a server that replies to many peers
** parses each one once, not once a datagram. */
#define LUDP_DST_SLOT_BITS 10
#define LUDP_DST_SLOTS (1 << LUDP_DST_SLOT_BITS)
typedef struct {
  ludp_addr_cache slot[LUDP_DST_SLOTS];
  unsigned long parsed; /* the lookups that parsed: not found */
} ludp_dst_cache;

/* The length of 'sa' as the kernel takes it. */
socklen_t ludp_sockaddr_len (const struct sockaddr *sa);

/* The port of 'sa', in host order. */
int ludp_sockaddr_port (const struct sockaddr *sa);

/* Whether a and b are the same address and port (and flow, scope). */
int ludp_sockaddr_same (const ludp_sockaddr *a, const ludp_sockaddr *b);

/* Whether a and b are the same address, ports aside. */
int ludp_sockaddr_same_ip (const struct sockaddr *a, const struct sockaddr *b);

/* Parses 'len' bytes of 'ip' and 'port' for 'family' (AF_INET or
** AF_INET6) into *out, which points into 'cache': 0 or UV_EINVAL. */
int ludp_sockaddr_parse (ludp_addr_cache *cache, int family, const char *ip,
                         size_t len, int port, const struct sockaddr **out);

/* ludp_sockaddr_parse through the pair of slots of 'c' that 'ip' (the
** bytes of a Lua string: an address string made once is at one place)
** and 'port' pick. */
int ludp_sockaddr_lookup (ludp_dst_cache *c, int family, const char *ip,
                          size_t len, int port, const struct sockaddr **out);

/* Pushes the address string of 'sa' alone; returns 1. */
int ludp_push_ip (lua_State *L, const struct sockaddr *sa);

/* Pushes address, port and family ("IPv4"/"IPv6") of 'sa'; returns 3. */
int ludp_push_sockaddr (lua_State *L, const struct sockaddr *sa);

/* Adds core.isip to the table on top. */
void ludp_open_sockaddr (lua_State *L);

#endif
