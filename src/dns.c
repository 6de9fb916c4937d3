/*
** dns.c
** Asynchronous name resolution through uv_getaddrinfo, for dgram's default
** lookup. The request holds a reference to its callback until it ends.
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
  /* cb(0, address, family): the first result, as Node's lookup. */
  lua_pushinteger(L, 0);
  if (res->ai_family == AF_INET6) {
    uv_ip6_name((struct sockaddr_in6 *)res->ai_addr, ip, sizeof ip);
    lua_pushstring(L, ip);
    lua_pushinteger(L, 6);
  }
  else {
    uv_ip4_name((struct sockaddr_in *)res->ai_addr, ip, sizeof ip);
    lua_pushstring(L, ip);
    lua_pushinteger(L, 4);
  }
  uv_freeaddrinfo(res);
  ludp_call(L, 3);
}

/* core.getaddrinfo(host, family, cb) -> status; cb(status, ip, family) */
static int core_getaddrinfo (lua_State *L) {
  size_t len;
  const char *host = luaL_checklstring(L, 1, &len);
  lua_Integer family = luaL_checkinteger(L, 2);
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
}
