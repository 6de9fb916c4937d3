/*
** fuzz.c
** libFuzzer harness for the script side of ludp: one Lua state with the
** core (instrumented with ASan and UBSan) and the Lua modules of lua/,
** kept across inputs like a long-running script. Each input's bytes go to
** a Lua driver (FUZZ_DRIVER: tests/fuzz/dgram.lua or addr.lua) that turns
** them into calls on a live loop and checks what comes back; anything
** the driver finds wrong (an error that docs/reference.md does not list,
** a handle or reference left behind, a loop that does not settle) ends in
** fuzz_fail(), which aborts so that libFuzzer keeps the input.
*/

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lualib.h>

#include "ludp.h"

#ifndef LUDP_ROOT
#error "LUDP_ROOT (the source tree) must be defined"
#endif
#ifndef FUZZ_DRIVER
#error "FUZZ_DRIVER (the Lua driver) must be defined"
#endif

static lua_State *L;
static int driver_ref = LUA_NOREF;

/*
** Coverage of the Lua side for libFuzzer: a line hook counts pairs of
** consecutive lines (source, line) in libFuzzer's extra counters, so that
** an input reaching new lines of dgram.lua counts as new, as new edges of
** the C code do.
*/
static uint8_t lua_edges[1 << 16]
  __attribute__((used, section("__libfuzzer_extra_counters")));
static uintptr_t prev_line;
static int lines_only; /* FUZZ_LINES_ONLY=1: lines, not pairs (merging) */

static void line_hook (lua_State *L1, lua_Debug *ar) {
  uintptr_t here;
  lua_getinfo(L1, "S", ar);
  here = (uintptr_t)ar->source * 31u ^ (uintptr_t)ar->currentline * 2654435761u;
  here ^= here >> 17;
  lua_edges[(here ^ prev_line) & (sizeof lua_edges - 1)]++;
  if (!lines_only) prev_line = here >> 1;
}

/* fuzz_fail(msg): reports a finding and aborts. */
static int fuzz_fail (lua_State *L1) {
  fprintf(stderr, "fuzz: %s\n", luaL_tolstring(L1, 1, NULL));
  fflush(stderr);
  abort();
  return 0;
}

static int msghandler (lua_State *L1) {
  luaL_traceback(L1, L1, luaL_tolstring(L1, 1, NULL), 1);
  return 1;
}

int LLVMFuzzerInitialize (int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  L = luaL_newstate();
  if (L == NULL) abort();
  luaL_openlibs(L);
  luaL_requiref(L, "ludp.core", luaopen_ludp_core, 0);
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_pushliteral(L, LUDP_ROOT "/lua/?.lua;" LUDP_ROOT "/lua/?/init.lua;"
                  LUDP_ROOT "/tests/fuzz/?.lua");
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  lua_pushcfunction(L, fuzz_fail);
  lua_setglobal(L, "fuzz_fail");
  lua_pushcfunction(L, msghandler);
  if (luaL_loadfile(L, LUDP_ROOT "/tests/fuzz/" FUZZ_DRIVER) != LUA_OK ||
      lua_pcall(L, 0, 1, -2) != LUA_OK) {
    fprintf(stderr, "fuzz: cannot load the driver: %s\n", lua_tostring(L, -1));
    abort();
  }
  luaL_checktype(L, -1, LUA_TFUNCTION);
  driver_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pop(L, 1);
  lines_only = getenv("FUZZ_LINES_ONLY") != NULL;
  lua_sethook(L, line_hook, LUA_MASKLINE, 0);
  return 0;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  lua_pushcfunction(L, msghandler);
  lua_rawgeti(L, LUA_REGISTRYINDEX, driver_ref);
  lua_pushlstring(L, (const char *)data, size);
  prev_line = 0;
  if (lua_pcall(L, 1, 0, -3) != LUA_OK) {
    fprintf(stderr, "fuzz: the driver failed: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_pop(L, 1);
  return 0;
}
