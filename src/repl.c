/*
** repl.c
** The terminal half of the REPL, as the module ludp.replio, and its
** session: the Lua callbacks (on_line, on_interrupt, candidates), its start
** and its stop, and docall, which runs a line so that Ctrl-C interrupts it
** and its traceback shows the user's code only. What it drives lives in
** rooms of its own (repl_internal.h): the terminal through libedit
** (repl_term.c), plain lines when stdin is not a terminal or libedit
** cannot be loaded (repl_plain.c), Ctrl-C (repl_sigint.c) and the history
** (repl_history.c).
** What a line means (expression or statement, printing, completion
** candidates, history policy) is decided in lua/ludp/repl.lua.
*/

#include <string.h>

#include "repl_internal.h"


/* The session: once per process, as the terminal's handles are static. */
static struct {
  lua_State *L; /* main state: callbacks and hooks run on it */
  int line_ref; /* on_line(line | nil at end of input) */
  int intr_ref; /* on_interrupt(): Ctrl-C while idle */
  int comp_ref; /* candidates(before_cursor) -> list */
  int tty;      /* the terminal is driven through libedit */
  int started, stopped;
} session = {.line_ref = LUA_NOREF,
             .intr_ref = LUA_NOREF,
             .comp_ref = LUA_NOREF};


/* ------------------------------------------------ calls into the session */

/* Calls on_line(line) (nil at end of input) through the one protected
** call, so nextTicks queued by the line run right after it. */
void repl_deliver (const char *line, size_t len) {
  lua_State *L = session.L;
  if (session.stopped || L == NULL || ludp_state() == NULL) return;
  lua_rawgeti(L, LUA_REGISTRYINDEX, session.line_ref);
  if (line != NULL)
    lua_pushlstring(L, line, len);
  else
    lua_pushnil(L);
  ludp_call(L, 1);
}

void repl_interrupt (void) {
  lua_rawgeti(session.L, LUA_REGISTRYINDEX, session.intr_ref);
  ludp_call(session.L, 0);
}

lua_State *repl_candidates (const char *before, size_t len) {
  lua_State *L = session.L;
  int top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, session.comp_ref);
  lua_pushlstring(L, before, len);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_istable(L, -1)) {
    lua_settop(L, top);
    return NULL;
  }
  return L;
}

int repl_stopped (void) {
  return session.stopped;
}


/* --------------------------------------------------------------- Lua API */

/* replio.start(tty, on_line, on_interrupt, candidates) -> editing: whether
** the terminal is driven through libedit (false: plain lines). */
static int r_start (lua_State *L) {
  session.tty = lua_toboolean(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  luaL_checktype(L, 4, LUA_TFUNCTION);
  if (session.started) /* its handles are static: once per process */
    return luaL_error(L, "the REPL can run only once");
  session.L = ludp_state();
  ludp_ref_set(L, &session.line_ref, 2);
  ludp_ref_set(L, &session.intr_ref, 3);
  ludp_ref_set(L, &session.comp_ref, 4);
  session.started = 1;
  session.stopped = 0;
  if (session.tty && !repl_term_load()) session.tty = 0;
  if (!session.tty) {
    repl_sigint_install(session.L, 0);
    repl_plain_start();
    lua_pushboolean(L, 0);
    return 1;
  }
  if (repl_term_start() != 0)
    return luaL_error(L, "cannot watch standard input");
  repl_sigint_install(session.L, 1); /* after libuv's, which it calls */
  lua_pushboolean(L, 1);
  return 1;
}

/* replio.prompt(text): shows the prompt and waits for a line. */
static int r_prompt (lua_State *L) {
  const char *p = luaL_checkstring(L, 1);
  if (session.tty && session.started && !session.stopped) repl_term_prompt(p);
  return 0;
}

/* replio.hide(): clears the prompt before output (it comes back later). */
static int r_hide (lua_State *L) {
  (void)L;
  if (session.tty && !session.stopped) repl_term_hide();
  return 0;
}

/* replio.wrote(at_line_start): tells where the last output left off. */
static int r_wrote (lua_State *L) {
  repl_term_wrote(lua_toboolean(L, 1));
  return 0;
}

/* replio.stop(): no more lines; the terminal is left as it was found. */
static int r_stop (lua_State *L) {
  if (!session.started || session.stopped) return 0;
  session.stopped = 1;
  repl_sigint_restore(); /* libuv's handler, before its stop */
  if (session.tty)
    repl_term_stop();
  else
    repl_plain_stop();
  ludp_ref_clear(L, &session.line_ref);
  ludp_ref_clear(L, &session.intr_ref);
  ludp_ref_clear(L, &session.comp_ref);
  return 0;
}


/* --------------------------------------------------------- running lines */

/* Number of active call levels of L (lauxlib's lastlevel). */
static int stack_depth (lua_State *L) {
  lua_Debug ar;
  int li = 1, le = 1;
  while (lua_getstack(L, le, &ar)) {
    li = le;
    le *= 2;
  }
  while (li < le) {
    int m = (li + le) / 2;
    if (lua_getstack(L, m, &ar))
      li = m + 1;
    else
      le = m;
  }
  return le;
}

/* Message handler of docall: keeps the error, stores a traceback of the
** user's code only (the levels of docall and below are cut off). */
static int msghandler (lua_State *L) {
  int below = (int)lua_tointeger(L, lua_upvalueindex(1));
  const char *tb, *cut;
  int n;
  luaL_traceback(L, L, NULL, 1);
  tb = lua_tostring(L, -1);
  cut = tb + strlen(tb);
  /* the last levels are docall's and its callers' (while not elided) */
  for (n = 0; below <= 11 && n < below && cut > tb; n++)
    while (--cut > tb && *cut != '\n')
      ;
  if (below <= 11 && n == below)
    lua_pushlstring(L, tb, (size_t)(cut - tb));
  else
    lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, "ludp.repl.traceback");
  lua_settop(L, 1);
  return 1;
}

/*
** replio.docall(fn, ...) -> true, results... | false, err, traceback
** Runs a line (lua.c's docall): Ctrl-C interrupts it meanwhile.
*/
static int r_docall (lua_State *L) {
  int status, n = lua_gettop(L);
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_pushinteger(L, stack_depth(L));
  lua_pushcclosure(L, msghandler, 1);
  lua_insert(L, 1);
  repl_sigint_line_begin();
  status = lua_pcall(L, n - 1, LUA_MULTRET, 1);
  repl_sigint_line_end();
  if (status == LUA_OK) {
    lua_pushboolean(L, 1);
    lua_replace(L, 1);
    return lua_gettop(L);
  }
  lua_pushboolean(L, 0);
  lua_replace(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, "ludp.repl.traceback");
  return 3;
}


static const luaL_Reg replio_funcs[] = {{"start", r_start},
                                        {"prompt", r_prompt},
                                        {"hide", r_hide},
                                        {"wrote", r_wrote},
                                        {"stop", r_stop},
                                        {"docall", r_docall},
                                        {"history_add", repl_history_add},
                                        {"history_append", repl_history_append},
                                        {"history_write", repl_history_write},
                                        {NULL, NULL}};

int luaopen_ludp_replio (lua_State *L) {
  luaL_newlib(L, replio_funcs);
  return 1;
}
