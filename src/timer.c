/*
** timer.c
** uv_timer_t for timers.lua. A started timer is anchored, so a timer that
** no Lua variable holds still fires; it is released when it stops.
*/

#include "ludp.h"

static const char TIMER_T[] = "ludp.timer";

static void on_timer (uv_timer_t *t) {
  ludp_handle *lh = t->data;
  lua_State *L = lh->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, lh->cb_ref);
  if (uv_timer_get_repeat(t) == 0)
    ludp_handle_unanchor(L, lh); /* done, unless the callback restarts */
  ludp_call(L, 0);
}

/* core.timer() -> box */
static int timer_new (lua_State *L) {
  ludp_handle *lh = ludp_handle_new(L, TIMER_T, sizeof(uv_timer_t), 0);
  uv_timer_init(ludp_loop(), (uv_timer_t *)lh->h);
  return 1;
}

/*
** t:start(timeout_ms, repeat_ms, fn): counts from now, as Node does (it
** updates the loop's time whenever it reads it). libuv counts from the
** time cached at the start of the pass, so after a long callback, or
** between two runs of the loop in library mode, a timeout would fire
** early.
*/
static int timer_start (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  lua_Integer timeout = luaL_checkinteger(L, 2);
  lua_Integer repeat = luaL_checkinteger(L, 3);
  luaL_argcheck(L, timeout >= 0, 2, "negative timeout");
  luaL_argcheck(L, repeat >= 0, 3, "negative repeat");
  luaL_checktype(L, 4, LUA_TFUNCTION);
  ludp_ref_set(L, &lh->cb_ref, 4);
  ludp_handle_anchor(L, lh, 1);
  uv_update_time(ludp_loop());
  uv_timer_start((uv_timer_t *)lh->h, on_timer, (uint64_t)timeout,
                 (uint64_t)repeat);
  return 0;
}

/* t:stop() */
static int timer_stop (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  uv_timer_stop((uv_timer_t *)lh->h);
  ludp_handle_unanchor(L, lh);
  return 0;
}

/* t:is_active() */
static int timer_is_active (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  lua_pushboolean(L, uv_is_active(lh->h));
  return 1;
}

static const luaL_Reg timer_methods[] = {
  {"start", timer_start},
  {"stop", timer_stop},
  {"is_active", timer_is_active},
  {NULL, NULL},
};

void ludp_open_timer (lua_State *L) {
  ludp_handle_type(L, TIMER_T, timer_methods);
  lua_pushcfunction(L, timer_new);
  lua_setfield(L, -2, "timer");
}
