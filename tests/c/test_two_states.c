/*
** test_two_states.c
** One Lua state per process can use ludp.core: a second state that
** requires it while the first is open gets an error that says so (it
** used to share the first one's registry references and crash); once the
** first is closed, a new state opens the core and runs the loop.
*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "check.h"
#include "ludp.h"

/* Runs 'chunk' in L; returns its error message, or NULL on success. */
static const char *run (lua_State *L, const char *chunk) {
  if (luaL_dostring(L, chunk) == LUA_OK) return NULL;
  return lua_tostring(L, -1);
}

/* A state with the core open on package.preload, as stock lua5.4 would
** find it. */
static lua_State *new_state (void) {
  lua_State *L = luaL_newstate();
  ASSERT(L != NULL);
  luaL_openlibs(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_ludp_core);
  lua_setfield(L, -2, "ludp.core");
  lua_pop(L, 1);
  return L;
}

static const char LOOP[] =
  "local core = require('ludp.core')\n"
  "local fired = false\n"
  "core.timer():start(1, 0, function() fired = true end)\n"
  "core.run()\n"
  "assert(fired, 'the timer did not fire')";

int main (void) {
  lua_State *a = new_state(), *b = new_state(), *c;
  const char *err;

  ASSERT(run(a, LOOP) == NULL);

  err = run(b, "require('ludp.core')");
  ASSERT(err != NULL);
  ASSERT(strstr(err, "another Lua state") != NULL);
  lua_close(b);

  ASSERT(run(a, LOOP) == NULL); /* the first is unharmed */
  lua_close(a);
  ludp_set_state(NULL);

  c = new_state();
  err = run(c, LOOP);
  if (err != NULL) fprintf(stderr, "%s\n", err);
  ASSERT(err == NULL);
  lua_close(c);
  ludp_set_state(NULL);
  uv_run(ludp_loop(), UV_RUN_NOWAIT);
  puts("ok");
  return 0;
}
