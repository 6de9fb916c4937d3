/*
** modules.c
** The host's built-in modules: ludp.core from C, cjson from Debian's
** lua-cjson library (opened on the first require), and the Lua files of
** lua/ embedded at build time (as luac bytecode when luac5.4 was found:
** see CMakeLists.txt). Each goes into package.preload, so nothing is
** compiled or mapped before it is required, and an installed ludp needs
** no search path to find its own modules.
*/

#include <dlfcn.h>
#include <string.h>

#include "ludp.h"

/* lua-cjson as Debian builds it for Lua 5.4 (package lua-cjson). */
#define CJSON_LIB "liblua5.4-cjson.so.0"

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

/* Never closed: the functions of the modules opened from it live there. */
static void *cjson_lib;

/*
** preload loader of cjson and cjson.safe: upvalue 1 is the name of the
** luaopen function. The library is not linked, so that scripts without
** JSON do not map it; it takes the Lua API from the host, which exports
** it.
*/
static int load_cjson (lua_State *L) {
  const char *open_name = lua_tostring(L, lua_upvalueindex(1));
  lua_CFunction openf;
  if (cjson_lib == NULL) cjson_lib = dlopen(CJSON_LIB, RTLD_NOW | RTLD_LOCAL);
  if (cjson_lib == NULL)
    return luaL_error(L, "module '%s' needs %s (Debian: lua-cjson): %s",
                      lua_tostring(L, 1), CJSON_LIB, dlerror());
  openf = (lua_CFunction)dlsym(cjson_lib, open_name);
  if (openf == NULL)
    return luaL_error(L, "module '%s': %s", lua_tostring(L, 1), dlerror());
  return openf(L); /* with require's arguments, as its C loader would */
}

void ludp_preload_modules (lua_State *L) {
  int i;
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_ludp_core);
  lua_setfield(L, -2, "ludp.core");
  lua_pushliteral(L, "luaopen_cjson");
  lua_pushcclosure(L, load_cjson, 1);
  lua_setfield(L, -2, "cjson");
  lua_pushliteral(L, "luaopen_cjson_safe");
  lua_pushcclosure(L, load_cjson, 1);
  lua_setfield(L, -2, "cjson.safe");
  lua_pushcfunction(L, luaopen_ludp_replio);
  lua_setfield(L, -2, "ludp.replio");
  for (i = 0; ludp_modules[i].name; i++) {
    lua_pushinteger(L, i);
    lua_pushcclosure(L, load_embedded, 1);
    lua_setfield(L, -2, ludp_modules[i].name);
  }
  lua_pop(L, 1);
}
