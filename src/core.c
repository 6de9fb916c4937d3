/*
** core.c
** The ludp.core module: the C half of the library, loaded by the host and
** by stock lua5.4 alike. Everything here is internal; the public modules
** (dgram, events, timers, ludp) are written in Lua on top of it.
*/

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ludp.h"
#ifdef LUDP_BUILD_ID
#include "build_id.h" /* the CMake build's LUDP_BUILD: cmake/build_id.cmake */
#else
#define LUDP_BUILD "" /* a build that does not know its commit (LuaRocks) */
#endif

extern char **environ;

/* core.errname(status) -> "EADDRINUSE" */
static int core_errname (lua_State *L) {
  return ludp_push_uverr(L, (int)luaL_checkinteger(L, 1));
}

/* core.strerror(status) -> "address already in use" */
static int core_strerror (lua_State *L) {
  lua_pushstring(L, uv_strerror((int)luaL_checkinteger(L, 1)));
  return 1;
}

/* core.hrtime() -> nanoseconds (integer) from an arbitrary point. */
static int core_hrtime (lua_State *L) {
  lua_pushinteger(L, (lua_Integer)uv_hrtime());
  return 1;
}

/* core.cwd() -> status, path */
static int core_cwd (lua_State *L) {
  char buf[4096];
  size_t len = sizeof buf;
  int r = uv_cwd(buf, &len);
  lua_pushinteger(L, r);
  if (r != 0) return 1;
  lua_pushlstring(L, buf, len);
  return 2;
}

/* core.rss() -> status, bytes: the resident set size. */
static int core_rss (lua_State *L) {
  size_t rss = 0;
  int r = uv_resident_set_memory(&rss);
  lua_pushinteger(L, r);
  lua_pushinteger(L, (lua_Integer)rss);
  return 2;
}

/* core.exit(code): leaves at once, flushing stdio. */
static int core_exit (lua_State *L) {
  int code = (int)luaL_optinteger(L, 1, 0);
  fflush(NULL); /* print's bytes were given before the queued ones */
  ludp_stdio_flush();
  exit(code);
  return 0;
}

/* core.environ() -> table of the environment. */
static int core_environ (lua_State *L) {
  char **e;
  lua_newtable(L);
  for (e = environ; *e; e++) {
    const char *eq = strchr(*e, '=');
    if (eq == NULL) continue;
    lua_pushlstring(L, *e, (size_t)(eq - *e));
    lua_pushstring(L, eq + 1);
    lua_rawset(L, -3);
  }
  return 1;
}

/* core.setenv(name, value|nil) */
static int core_setenv (lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  const char *value = luaL_optstring(L, 2, NULL);
  int r = value ? uv_os_setenv(name, value) : uv_os_unsetenv(name);
  lua_pushinteger(L, r);
  return 1;
}

/* core.isatty(fd) -> whether fd is a terminal */
static int core_isatty (lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  lua_pushboolean(L, fd >= 0 && fd <= 0x7fffffff &&
                       uv_guess_handle((uv_file)fd) == UV_TTY);
  return 1;
}

/* core.guess_handle(fd) -> "UDP", "TCP", "PIPE", "TTY", "FILE" or
** "UNKNOWN", the names of Node's guessHandleType (bind({ fd }) checks). */
static int core_guess_handle (lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  const char *name = "UNKNOWN";
  if (fd >= 0 && fd <= 0x7fffffff) {
    switch (uv_guess_handle((uv_file)fd)) {
      case UV_UDP:
        name = "UDP";
        break;
      case UV_TCP:
        name = "TCP";
        break;
      case UV_NAMED_PIPE:
        name = "PIPE";
        break;
      case UV_TTY:
        name = "TTY";
        break;
      case UV_FILE:
        name = "FILE";
        break;
      default:
        break;
    }
  }
  lua_pushstring(L, name);
  return 1;
}

/* core.errno: libuv's error codes by name ({ EINVAL = -22, ... }), the
** statuses the binding returns, so that Lua copies none of them. */
static void push_errno (lua_State *L) {
  lua_createtable(L, 0, 80);
#define ERRNO_FIELD(name, _)     \
  lua_pushinteger(L, UV_##name); \
  lua_setfield(L, -2, #name);
  UV_ERRNO_MAP(ERRNO_FIELD)
#undef ERRNO_FIELD
}

static const luaL_Reg core_funcs[] = {
  {"isatty", core_isatty},
  {"errname", core_errname},
  {"strerror", core_strerror},
  {"hrtime", core_hrtime},
  {"cwd", core_cwd},
  {"rss", core_rss},
  {"exit", core_exit},
  {"environ", core_environ},
  {"setenv", core_setenv},
  {"guess_handle", core_guess_handle},
  {NULL, NULL},
};

/* The core's state (the loop's callbacks, the UDP engine) is one per
** process: a second Lua state opening it while the first is alive would
** share it and crash. Refused instead, with the reason. */
static int other_state (lua_State *L) {
  lua_State *owner = ludp_state(), *main;
  if (owner == NULL) return 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  main = lua_tothread(L, -1);
  lua_pop(L, 1);
  return main != owner;
}

int luaopen_ludp_core (lua_State *L) {
  int r;
  if (other_state(L))
    return luaL_error(L, "ludp.core is open in another Lua state of this "
                         "process: one state per process can use it");
  r = ludp_loop_open(); /* made once; the host made it already */
  if (r != 0)
    return luaL_error(L, "cannot create the event loop: %s", uv_strerror(r));
  luaL_newlib(L, core_funcs);
  push_errno(L);
  lua_setfield(L, -2, "errno");
  ludp_open_loop(L);
  ludp_open_timer(L);
  ludp_open_check(L);
  ludp_open_signal(L);
  ludp_open_dns(L);
  ludp_open_udp(L);
  ludp_open_notify(L);
  ludp_open_stdio(L);
  lua_pushinteger(L, (lua_Integer)uv_hrtime()); /* process.uptime's 0 */
  lua_setfield(L, -2, "start_time");
  ludp_open_unix_dgram(L);
  lua_pushinteger(L, (lua_Integer)uv_os_getpid());
  lua_setfield(L, -2, "pid");
  lua_pushliteral(L, "linux");
  lua_setfield(L, -2, "platform");
  lua_pushliteral(L, LUDP_VERSION);
  lua_setfield(L, -2, "version");
  lua_pushliteral(L, LUDP_BUILD); /* the commit built, "" if unknown */
  lua_setfield(L, -2, "build");
  lua_pushstring(L, uv_version_string());
  lua_setfield(L, -2, "uv_version");
  return 1;
}
