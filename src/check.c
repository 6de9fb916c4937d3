/*
** check.c
** uv_check_t and uv_idle_t, for setImmediate: the check handle runs the
** immediates after the poll phase, and an idle handle keeps poll from
** blocking while any are pending, as in Node.js.
*/

#include "ludp.h"

static const char CHECK_T[] = "ludp.check";
static const char IDLE_T[] = "ludp.idle";

static void on_check (uv_check_t *c) {
  ludp_handle *lh = c->data;
  lua_rawgeti(lh->L, LUA_REGISTRYINDEX, lh->cb_ref);
  ludp_call(lh->L, 0);
}

static void on_idle (uv_idle_t *i) {
  (void)i; /* its only job is to exist */
}

static int check_new (lua_State *L) {
  ludp_handle *lh = ludp_handle_new(L, CHECK_T, sizeof(uv_check_t), 0);
  uv_check_init(ludp_loop(), (uv_check_t *)lh->h);
  return 1;
}

static int idle_new (lua_State *L) {
  ludp_handle *lh = ludp_handle_new(L, IDLE_T, sizeof(uv_idle_t), 0);
  uv_idle_init(ludp_loop(), (uv_idle_t *)lh->h);
  return 1;
}

/* c:start(fn) / i:start(): anchored while started. */
static int check_start (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  ludp_ref_set(L, &lh->cb_ref, 2);
  ludp_handle_anchor(L, lh, 1);
  uv_check_start((uv_check_t *)lh->h, on_check);
  return 0;
}

static int check_stop (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  uv_check_stop((uv_check_t *)lh->h);
  ludp_handle_unanchor(L, lh);
  return 0;
}

static int idle_start (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  ludp_handle_anchor(L, lh, 1);
  uv_idle_start((uv_idle_t *)lh->h, on_idle);
  return 0;
}

static int idle_stop (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  uv_idle_stop((uv_idle_t *)lh->h);
  ludp_handle_unanchor(L, lh);
  return 0;
}

void ludp_open_check (lua_State *L) {
  static const luaL_Reg check_methods[] = {{"start", check_start},
                                           {"stop", check_stop},
                                           {NULL, NULL}};
  static const luaL_Reg idle_methods[] = {{"start", idle_start},
                                          {"stop", idle_stop},
                                          {NULL, NULL}};
  ludp_handle_type(L, CHECK_T, check_methods);
  ludp_handle_type(L, IDLE_T, idle_methods);
  lua_pushcfunction(L, check_new);
  lua_setfield(L, -2, "check");
  lua_pushcfunction(L, idle_new);
  lua_setfield(L, -2, "idle");
}
