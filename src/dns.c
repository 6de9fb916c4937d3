/*
** dns.c
** Asynchronous name resolution through uv_getaddrinfo, for dns.lookup
** (which is also dgram's default lookup). The request holds a reference
** to its callback until it ends.
*/

#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/socket.h>

#include "ludp.h"

typedef struct {
  uv_getaddrinfo_t req;
  int cb_ref;
} lookup_req;

static void on_resolved (uv_getaddrinfo_t *req, int status,
                         struct addrinfo *res) {
  lookup_req *lr = req->data;
  lua_State *L = ludp_state();
  char ip[INET6_ADDRSTRLEN];
  if (L == NULL) { /* the host is shutting down */
    uv_freeaddrinfo(res);
    free(lr);
    return;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, lr->cb_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, lr->cb_ref);
  free(lr);
  if (status != 0 || res == NULL) { /* cb(status) */
    lua_pushinteger(L, status != 0 ? status : UV_EAI_NONAME);
    uv_freeaddrinfo(res);
    ludp_call(L, 1);
    return;
  }
  /* cb(0, { address1, family1, address2, family2, ... }): every address,
  ** in the resolver's order (dns.lua picks and orders). */
  {
    struct addrinfo *ai;
    int n = 0;
    lua_pushinteger(L, 0);
    lua_newtable(L);
    for (ai = res; ai != NULL; ai = ai->ai_next) {
      if (ai->ai_family == AF_INET6) {
        uv_ip6_name((struct sockaddr_in6 *)ai->ai_addr, ip, sizeof ip);
        lua_pushstring(L, ip);
        lua_rawseti(L, -2, ++n);
        lua_pushinteger(L, 6);
      }
      else if (ai->ai_family == AF_INET) {
        uv_ip4_name((struct sockaddr_in *)ai->ai_addr, ip, sizeof ip);
        lua_pushstring(L, ip);
        lua_rawseti(L, -2, ++n);
        lua_pushinteger(L, 4);
      }
      else
        continue;
      lua_rawseti(L, -2, ++n);
    }
  }
  uv_freeaddrinfo(res);
  ludp_call(L, 2);
}

/* core.getaddrinfo(host, family, cb[, flags]) -> status; cb(status) on
** failure, cb(0, addresses) (see on_resolved). 'flags' are getaddrinfo's
** ai_flags (core.AI_ADDRCONFIG, AI_V4MAPPED, AI_ALL), checked by dns.lua. */
static int core_getaddrinfo (lua_State *L) {
  size_t len;
  const char *host = luaL_checklstring(L, 1, &len);
  lua_Integer family = luaL_checkinteger(L, 2);
  lua_Integer flags = luaL_optinteger(L, 4, 0);
  struct addrinfo hints;
  lookup_req *lr;
  int r;
  luaL_checktype(L, 3, LUA_TFUNCTION);
  ludp_gc_point(L);
  if (strlen(host) != len) { /* getaddrinfo would stop at the NUL */
    lua_pushinteger(L, UV_EAI_NONAME);
    return 1;
  }
  memset(&hints, 0, sizeof hints);
  hints.ai_family = family == 6 ? AF_INET6 : family == 4 ? AF_INET : AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = (int)(flags & (AI_ADDRCONFIG | AI_V4MAPPED | AI_ALL));
  lr = malloc(sizeof *lr);
  if (lr == NULL) return luaL_error(L, "not enough memory");
  lr->req.data = lr;
  lua_pushvalue(L, 3);
  lr->cb_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  r = uv_getaddrinfo(ludp_loop(), &lr->req, on_resolved, host, NULL, &hints);
  if (r != 0) {
    luaL_unref(L, LUA_REGISTRYINDEX, lr->cb_ref);
    free(lr);
  }
  lua_pushinteger(L, r);
  return 1;
}

void ludp_open_dns (lua_State *L) {
  lua_pushcfunction(L, core_getaddrinfo);
  lua_setfield(L, -2, "getaddrinfo");
  lua_pushinteger(L, AI_ADDRCONFIG);
  lua_setfield(L, -2, "AI_ADDRCONFIG");
  lua_pushinteger(L, AI_V4MAPPED);
  lua_setfield(L, -2, "AI_V4MAPPED");
  lua_pushinteger(L, AI_ALL);
  lua_setfield(L, -2, "AI_ALL");
}
