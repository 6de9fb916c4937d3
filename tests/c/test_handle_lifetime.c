/*
** test_handle_lifetime.c
** The lifetime rules of handle boxes, checked from C where they live:
** a bound socket stays alive with no Lua reference; an unbound socket that
** nobody reaches is collected and its handle closed and freed; a closed
** socket calls its close callback once; after lua_close every handle is
** closed and the loop closes cleanly (ASan reports any leak or misuse).
*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "check.h"
#include "ludp.h"

static void count_open (uv_handle_t *h, void *arg) {
  if (!uv_is_closing(h)) (*(int *)arg)++;
}

static int open_handles (void) {
  int n = 0;
  uv_walk(ludp_loop(), count_open, &n);
  return n;
}

/* Runs a chunk with 'core' as its first argument; asserts success. */
static void run (lua_State *L, const char *chunk) {
  int status = luaL_loadstring(L, chunk);
  if (status == LUA_OK) {
    lua_getglobal(L, "core");
    status = lua_pcall(L, 1, 0, 0);
  }
  if (status != LUA_OK) {
    fprintf(stderr, "chunk failed: %s\n", lua_tostring(L, -1));
    abort();
  }
}

static void full_gc (lua_State *L) {
  lua_gc(L, LUA_GCCOLLECT);
  lua_gc(L, LUA_GCCOLLECT);
}

int main (void) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "ludp.core", luaopen_ludp_core, 0);
  lua_setglobal(L, "core");

  /* An unbound socket nobody reaches: collected, closed, freed. */
  run(L, "local core, t = ..., {}\n"
         "for i = 1, 100 do t[i] = select(2, core.udp(4, {})) end");
  ASSERT(open_handles() == 100);
  full_gc(L);
  ASSERT(open_handles() == 0);
  uv_run(ludp_loop(), UV_RUN_NOWAIT);      /* close callbacks free them */

  /* A receiving socket with no Lua reference stays alive and receives. */
  run(L,
      "local core = ...\n"
      "local _, u = core.udp(4, {})\n"
      "assert(u:bind('127.0.0.1', 0) == 0)\n"
      "local _, _, port = u:getsockname()\n"
      "got = 0\n"
      "u:set_onmessage(function(msg) got = got + 1\n"
      "  if msg == 'close' then u:close(function() closed = true end) end\n"
      "end)\n"
      "assert(u:recv_start(function() error('no') end) == 0)\n"
      "target = port");
  full_gc(L);
  ASSERT(open_handles() == 1);
  run(L,
      "local core = ...\n"
      "local _, c = core.udp(4)\n"
      "assert(c:send('hello', '127.0.0.1', target) == 0)\n"
      "assert(c:send('close', '127.0.0.1', target) == 0)\n"
      "c:close()");
  full_gc(L);
  run(L, "local core = ... ; core.run()");
  run(L, "assert(got == 2, 'got ' .. got); assert(closed == true)");
  full_gc(L);
  ASSERT(open_handles() == 0);

  /* A timer started and dropped still fires once, then is collectable. */
  run(L,
      "local core = ...\n"
      "fired = 0\n"
      "core.timer():start(1, 0, function() fired = fired + 1 end)");
  full_gc(L);
  run(L, "local core = ... ; core.run() ; assert(fired == 1)");
  full_gc(L);
  uv_run(ludp_loop(), UV_RUN_NOWAIT);
  ASSERT(open_handles() == 0);

  /* Open handles at lua_close are closed by __gc, without Lua calls. */
  run(L,
      "local core = ...\n"
      "keep = select(2, core.udp(6, {}))\n"
      "assert(keep:bind('::1', 0) == 0)\n"
      "keep:set_onmessage(function() error('no') end)\n"
      "assert(keep:recv_start(function() error('no') end) == 0)\n"
      "keep2 = core.timer()\n"
      "keep2:start(100000, 0, function() error('no') end)\n"
      "keep:send(string.rep('x', 1000), '::1', 9, function() error('no') end)");
  ASSERT(open_handles() == 2);
  lua_close(L);
  ludp_set_state(NULL);
  uv_run(ludp_loop(), UV_RUN_NOWAIT);
  ASSERT(open_handles() == 0);
  ASSERT(uv_loop_close(ludp_loop()) == 0);
  printf("ok\n");
  return 0;
}
