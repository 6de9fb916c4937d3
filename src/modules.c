/*
** modules.c
** The host's built-in modules: ludp.core and cjson from C, and the Lua
** files of lua/ embedded at build time (as luac bytecode when luac5.4 was
** found: see CMakeLists.txt). Each goes into package.preload, so
** nothing is compiled before it is required, and an installed ludp needs
** no search path to find its own modules.
*/

#include <string.h>

#include "ludp.h"

int luaopen_cjson (lua_State *L);

struct ludp_module {
  const char *name, *chunk, *data;
  size_t len;
};
extern const struct ludp_module ludp_modules[];

/* preload loader: upvalue 1 is the index in ludp_modules. */
static int load_embedded (lua_State *L) {
  const struct ludp_module *m =
    &ludp_modules[lua_tointeger(L, lua_upvalueindex(1))];
  if (luaL_loadbufferx(L, m->data, m->len, m->chunk, "bt") != LUA_OK)
    return lua_error(L);
  lua_pushvalue(L, 1); /* module name, as require passes */
  lua_pushstring(L, m->chunk + 1);
  lua_call(L, 2, 1);
  return 1;
}

void ludp_preload_modules (lua_State *L) {
  int i;
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_ludp_core);
  lua_setfield(L, -2, "ludp.core");
  lua_pushcfunction(L, luaopen_cjson);
  lua_setfield(L, -2, "cjson");
  lua_pushcfunction(L, luaopen_ludp_replio);
  lua_setfield(L, -2, "ludp.replio");
  for (i = 0; ludp_modules[i].name; i++) {
    lua_pushinteger(L, i);
    lua_pushcclosure(L, load_embedded, 1);
    lua_setfield(L, -2, ludp_modules[i].name);
  }
  lua_pop(L, 1);
}
