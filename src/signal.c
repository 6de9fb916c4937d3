/*
** signal.c
** uv_signal_t for process.on("SIGINT", ...). Signal names map to numbers
** here; a started signal handle is anchored until stopped.
*/

#include <limits.h>
#include <signal.h>
#include <string.h>

#include "ludp.h"

static const char SIGNAL_T[] = "ludp.signal";

static const struct {
  const char *name;
  int num;
} signals[] = {{"SIGHUP", SIGHUP},   {"SIGINT", SIGINT},
               {"SIGQUIT", SIGQUIT}, {"SIGUSR1", SIGUSR1},
               {"SIGUSR2", SIGUSR2}, {"SIGPIPE", SIGPIPE},
               {"SIGALRM", SIGALRM}, {"SIGTERM", SIGTERM},
               {"SIGCHLD", SIGCHLD}, {"SIGCONT", SIGCONT},
               {"SIGTSTP", SIGTSTP}, {"SIGTTIN", SIGTTIN},
               {"SIGTTOU", SIGTTOU}, {"SIGWINCH", SIGWINCH},
               {"SIGBREAK", -1},     {NULL, 0}};

static int signum (const char *name) {
  int i;
  for (i = 0; signals[i].name; i++)
    if (strcmp(signals[i].name, name) == 0) return signals[i].num;
  return 0;
}

static const char *signame (int num) {
  int i;
  for (i = 0; signals[i].name; i++)
    if (signals[i].num == num) return signals[i].name;
  return "SIGUNKNOWN";
}

/*
** libuv puts SIG_DFL back when the last handle of a signal stops. For
** SIGPIPE, which the host ignores, that would let the next write to a
** closed pipe kill the process once a script stopped listening for it; so
** the disposition found when the first SIGPIPE handle started comes back
** when the last one stops or closes.
*/
static struct sigaction sigpipe_saved;
static int sigpipe_handles;

/* Stops 's' if it watches SIGPIPE, restoring the saved disposition. */
static void sigpipe_release (uv_signal_t *s) {
  if (s->signum != SIGPIPE) return;
  uv_signal_stop(s);
  if (--sigpipe_handles == 0) sigaction(SIGPIPE, &sigpipe_saved, NULL);
}

static void on_signal (uv_signal_t *s, int num) {
  ludp_handle *lh = s->data;
  lua_rawgeti(lh->L, LUA_REGISTRYINDEX, lh->cb_ref);
  lua_pushstring(lh->L, signame(num));
  ludp_call(lh->L, 1);
}

static int signal_new (lua_State *L) {
  ludp_handle *lh = ludp_handle_new(L, SIGNAL_T, sizeof(uv_signal_t), 0);
  uv_signal_init(ludp_loop(), (uv_signal_t *)lh->h);
  return 1;
}

/* s:start(name, fn) -> status */
static int signal_start (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  int num = signum(luaL_checkstring(L, 2)), r;
  luaL_checktype(L, 3, LUA_TFUNCTION);
  if (num <= 0) {
    lua_pushinteger(L, UV_EINVAL);
    return 1;
  }
  sigpipe_release((uv_signal_t *)lh->h);
  if (num == SIGPIPE && sigpipe_handles++ == 0)
    sigaction(SIGPIPE, NULL, &sigpipe_saved);
  r = uv_signal_start((uv_signal_t *)lh->h, on_signal, num);
  if (r != 0 && num == SIGPIPE) --sigpipe_handles;
  if (r == 0) {
    ludp_ref_set(L, &lh->cb_ref, 3);
    ludp_handle_anchor(L, lh, 1);
  }
  lua_pushinteger(L, r);
  return 1;
}

static int signal_stop (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  sigpipe_release((uv_signal_t *)lh->h);
  uv_signal_stop((uv_signal_t *)lh->h);
  ludp_handle_unanchor(L, lh);
  return 0;
}

/* s:close([fn]): the shared close (upvalue), after sigpipe_release. */
static int signal_close (lua_State *L) {
  ludp_handle **box = luaL_testudata(L, 1, SIGNAL_T);
  if (box != NULL && *box != NULL && !(*box)->closing)
    sigpipe_release((uv_signal_t *)(*box)->h);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

/* core.is_signal(name) -> whether 'name' is a signal we know. */
static int core_is_signal (lua_State *L) {
  const char *name = lua_tostring(L, 1);
  lua_pushboolean(L, name != NULL && signum(name) > 0);
  return 1;
}

/* core.kill(pid, name) -> status */
static int core_kill (lua_State *L) {
  lua_Integer pid = luaL_checkinteger(L, 1);
  int num = signum(luaL_checkstring(L, 2));
  /* (int)2^32 would be 0: the whole process group */
  if (pid < INT_MIN || pid > INT_MAX) num = 0;
  lua_pushinteger(L, num > 0 ? uv_kill((int)pid, num) : UV_EINVAL);
  return 1;
}

void ludp_open_signal (lua_State *L) {
  static const luaL_Reg methods[] = {{"start", signal_start},
                                     {"stop", signal_stop},
                                     {NULL, NULL}};
  ludp_handle_type(L, SIGNAL_T, methods);
  luaL_getmetatable(L, SIGNAL_T);
  lua_getfield(L, -1, "close");
  lua_pushcclosure(L, signal_close, 1);
  lua_setfield(L, -2, "close");
  lua_pop(L, 1);
  lua_pushcfunction(L, signal_new);
  lua_setfield(L, -2, "signal");
  lua_pushcfunction(L, core_is_signal);
  lua_setfield(L, -2, "is_signal");
  lua_pushcfunction(L, core_kill);
  lua_setfield(L, -2, "kill");
}
