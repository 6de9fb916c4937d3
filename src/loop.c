/*
** loop.c
** The event loop (made here, with the reason when it cannot be) and the
** one protected call through which every callback enters Lua. It decides
** what an error in a callback does: the uncaught handler (process
** 'uncaughtException') may take it; otherwise the loop stops and run()
** raises the error to whoever ran the loop (the host prints it and exits
** 1, a busted test fails, the REPL prints it). After every callback the
** nextTick queue is drained, as in Node.js; run() is refused inside a
** callback.
*/

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ludp.h"

int ludp_gc_stress; /* LUDP_GC_STRESS: see ludp.h */

static lua_State *main_state;
static int tick_head = 1, tick_tail = 1; /* queue in registry table */
static int tick_ref = LUA_NOREF;
static int uncaught_ref = LUA_NOREF;  /* function (err, traceback) */
static int error_ref = LUA_NOREF;     /* the error that stopped us */
static int traceback_ref = LUA_NOREF; /* traceback of the last error */
static int draining, failed, running;
static uv_loop_t loop_struct;
static uv_loop_t *the_loop; /* &loop_struct once made */


/*
** libuv aborts the process when it cannot make the pipe of its signal
** lock, which the first loop makes right after its epoll descriptor. So
** three descriptors must be free before the first loop is asked for;
** with fewer, this reports EMFILE instead of the abort.
*/
static int descriptors_free (void) {
  int p[2], fd;
  if (pipe(p) != 0) return uv_translate_sys_error(errno);
  fd = dup(p[0]);
  if (fd < 0)
    fd = uv_translate_sys_error(errno);
  else
    close(fd);
  close(p[0]);
  close(p[1]);
  return fd < 0 ? fd : 0;
}

/* libuv's uv_default_loop() says nothing of why it failed: this loop is
** made here, so that the host can tell (EMFILE, ENOMEM). */
int ludp_loop_open (void) {
  int r;
  if (the_loop != NULL) return 0;
  r = descriptors_free();
  if (r == 0) r = uv_loop_init(&loop_struct);
  if (r == 0) the_loop = &loop_struct;
  return r;
}

uv_loop_t *ludp_loop (void) {
  return the_loop;
}

lua_State *ludp_state (void) {
  return main_state;
}

void ludp_set_state (lua_State *L) {
  if (L == NULL) {
    /* The state is gone: no more callbacks, and its registry refs go with
    ** it, so that a next state opens the core anew. */
    main_state = NULL;
    tick_ref = uncaught_ref = error_ref = traceback_ref = LUA_NOREF;
    tick_head = tick_tail = 1;
    draining = failed = running = 0;
    return;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  main_state = lua_tothread(L, -1);
  lua_pop(L, 1);
}

int ludp_failed (void) {
  return failed;
}


/*
** Message handler: keeps the error value as it is (listeners of
** 'uncaughtException' get what was thrown) and records a traceback of
** the place it was thrown, for the report.
*/
static int msghandler (lua_State *L) {
  const char *msg = NULL;
  if (lua_type(L, 1) == LUA_TSTRING) /* lua_tostring would turn a number */
    msg = lua_tostring(L, 1);        /* into a string in place */
  luaL_traceback(L, L, msg, 1);
  lua_rawseti(L, LUA_REGISTRYINDEX, traceback_ref);
  lua_settop(L, 1);
  return 1;
}


/* Stops everything with the error on top of the stack (popped). */
static void fail (lua_State *L) {
  if (lua_isnil(L, -1)) { /* a nil slot would confuse luaL_ref */
    lua_pop(L, 1);
    lua_pushliteral(L, "nil");
  }
  lua_rawseti(L, LUA_REGISTRYINDEX, error_ref);
  failed = 1;
  if (running)            /* a stop outside uv_run would linger */
    uv_stop(ludp_loop()); /* and cut the next run short */
}


/* Offers the error on top (popped) to the uncaught handler. */
static void uncaught (lua_State *L) {
  int status;
  lua_rawgeti(L, LUA_REGISTRYINDEX, uncaught_ref);
  if (!lua_isfunction(L, -1)) {
    lua_pop(L, 1);
    fail(L);
    return;
  }
  lua_pushvalue(L, -2);
  lua_rawgeti(L, LUA_REGISTRYINDEX, traceback_ref);
  lua_pushcfunction(L, msghandler);
  lua_insert(L, -4);
  status = lua_pcall(L, 2, 1, -4);
  if (status != LUA_OK) { /* the handler itself threw */
    lua_replace(L, -3);
    lua_pop(L, 1);
    fail(L);
  }
  else if (lua_toboolean(L, -1)) { /* handled */
    lua_pop(L, 3);
  }
  else {
    lua_pop(L, 2);
    fail(L);
  }
}


void ludp_push_handler (lua_State *L) {
  lua_pushcfunction(L, msghandler);
}

int ludp_call_h (lua_State *L, int nargs) {
  int base = lua_gettop(L) - nargs; /* the function; handler below it */
  int status;
  if (failed) { /* the process is stopping: drop it */
    lua_settop(L, base - 2);
    return LUA_ERRRUN;
  }
  status = lua_pcall(L, nargs, 0, base - 1);
  if (status != LUA_OK) uncaught(L); /* pops the error */
  lua_pop(L, 1);                     /* the handler */
  ludp_after_callback(L);
  return status;
}

void ludp_after_callback (lua_State *L) {
  ludp_gc_point(L);
  if (tick_head != tick_tail && !draining) ludp_drain_ticks(L);
}

int ludp_call (lua_State *L, int nargs) {
  lua_pushcfunction(L, msghandler);
  lua_insert(L, -(nargs + 2));
  return ludp_call_h(L, nargs);
}


/* ------------------------------------------------------------- nextTick */

void ludp_drain_ticks (lua_State *L) {
  draining = 1;
  lua_rawgeti(L, LUA_REGISTRYINDEX, tick_ref);
  while (tick_head != tick_tail && !failed) {
    int n, i, top = lua_gettop(L);
    lua_rawgeti(L, top, tick_head);
    lua_pushnil(L);
    lua_rawseti(L, top, tick_head++);
    if (lua_istable(L, -1)) { /* { fn, n = nargs, args... } */
      lua_getfield(L, -1, "n");
      n = (int)lua_tointeger(L, -1);
      lua_pop(L, 1);
      for (i = 1; i <= n + 1; i++)
        lua_rawgeti(L, top + 1, i);
      lua_remove(L, top + 1);
    }
    else
      n = 0;
    ludp_call(L, n);
    lua_settop(L, top);
  }
  if (tick_head == tick_tail) tick_head = tick_tail = 1;
  lua_pop(L, 1);
  draining = 0;
}

void ludp_next_tick (lua_State *L, int nargs) {
  int base = lua_gettop(L) - nargs, i;
  lua_rawgeti(L, LUA_REGISTRYINDEX, tick_ref);
  if (nargs == 0)
    lua_pushvalue(L, base);
  else {
    lua_createtable(L, nargs + 1, 1);
    for (i = 0; i <= nargs; i++) {
      lua_pushvalue(L, base + i);
      lua_rawseti(L, -2, i + 1);
    }
    lua_pushinteger(L, nargs);
    lua_setfield(L, -2, "n");
  }
  lua_rawseti(L, -2, tick_tail++);
  lua_settop(L, base - 1);
}

/* core.next_tick(fn, ...) */
static int core_next_tick (lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  ludp_gc_point(L);
  ludp_next_tick(L, lua_gettop(L) - 1);
  return 0;
}


/* --------------------------------------------------------------- Lua API */

/* core.invoke(fn, ...) -> ok: fn through the one protected call. */
static int core_invoke (lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_pushboolean(L, ludp_call(L, lua_gettop(L) - 1) == LUA_OK);
  return 1;
}

/* core.set_uncaught(fn | nil) */
static int core_set_uncaught (lua_State *L) {
  if (!lua_isnoneornil(L, 1)) luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  if (lua_isnil(L, 1)) lua_pushboolean(L, 0);
  lua_rawseti(L, LUA_REGISTRYINDEX, uncaught_ref);
  return 0;
}

/* Raises the pending error, if any, clearing it. */
static void raise_pending (lua_State *L) {
  if (!failed) return;
  failed = 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, error_ref);
  lua_pushboolean(L, 0);
  lua_rawseti(L, LUA_REGISTRYINDEX, error_ref);
  lua_error(L);
}

/* core.run([mode]) -> alive: runs the loop; raises an unhandled error. */
static int core_run (lua_State *L) {
  static const char *const names[] = {"default", "once", "nowait", NULL};
  static const uv_run_mode modes[] = {UV_RUN_DEFAULT, UV_RUN_ONCE,
                                      UV_RUN_NOWAIT};
  uv_run_mode mode = modes[luaL_checkoption(L, 1, "default", names)];
  int alive;
  /* 'draining' too: a callback of the nextTick queue runs inside a pass
  ** of the loop, or is a bind callback, a 'listening' listener... drained
  ** before uv_run. A loop started from there could never drain the
  ** queue ('draining' is set), and would wait for ever. */
  if (running || draining)
    return luaL_error(L, "the event loop is already running");
  if (tick_head != tick_tail) ludp_drain_ticks(L);
  raise_pending(L);
  running = 1;
  alive = uv_run(ludp_loop(), mode);
  running = 0;
  raise_pending(L);
  lua_pushboolean(L, alive);
  return 1;
}

/* core.failed() -> whether an unhandled error is stopping the loop. */
static int core_failed (lua_State *L) {
  lua_pushboolean(L, failed);
  return 1;
}

/* core.traceback() -> traceback string of the last error thrown. */
static int core_traceback (lua_State *L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, traceback_ref);
  return 1;
}

/* core.stop(): makes run() return after this iteration. */
static int core_stop (lua_State *L) {
  (void)L;
  uv_stop(ludp_loop());
  return 0;
}

/* core.alive() -> whether referenced handles or requests remain. */
static int core_alive (lua_State *L) {
  lua_pushboolean(L, uv_loop_alive(ludp_loop()));
  return 1;
}

/* core.now() -> the loop's cached time in ms; core.update_time(). */
static int core_now (lua_State *L) {
  lua_pushinteger(L, (lua_Integer)uv_now(ludp_loop()));
  return 1;
}

static int core_update_time (lua_State *L) {
  (void)L;
  uv_update_time(ludp_loop());
  return 0;
}


static void walk_active (uv_handle_t *h, void *arg) {
  lua_State *L = arg;
  if (uv_is_closing(h) || !uv_is_active(h)) return;
  lua_getfield(L, -1, uv_handle_type_name(h->type));
  lua_pushinteger(L, luaL_optinteger(L, -1, 0) + 1);
  lua_setfield(L, -3, uv_handle_type_name(h->type));
  lua_pop(L, 1);
}

/* core.handles() -> { udp = n, timer = n, ... } of active handles. */
static int core_handles (lua_State *L) {
  lua_newtable(L);
  uv_walk(ludp_loop(), walk_active, L);
  return 1;
}

/* The kinds of handle core.close_handles closes: those a test leaves
** open (udp.c's, timer.c's). Not the check, idle and signal handles that
** timers.lua and process.lua keep for the process: they go through them. */
static const char *const closable[] = {"udp", "timer", NULL};
static const uv_handle_type closable_types[] = {UV_UDP, UV_TIMER};
#define NCLOSABLE (sizeof(closable_types) / sizeof(closable_types[0]))

struct close_walk {
  int wanted[NCLOSABLE];
  int closed;
};

/* A box's handle points to its ludp_handle, which points back (the
** REPL's own handles, repl_term.c's, leave 'data' NULL). */
static void walk_close (uv_handle_t *h, void *arg) {
  struct close_walk *w = arg;
  ludp_handle *lh = h->data;
  size_t i;
  if (uv_is_closing(h) || lh == NULL || lh->h != h) return;
  for (i = 0; i < NCLOSABLE; i++)
    if (w->wanted[i] && h->type == closable_types[i]) {
      ludp_handle_close(lh);
      w->closed++;
    }
}

/* core.close_handles(kind, ...) -> n: closes every handle of these kinds
** ("udp", "timer") that is not closing yet, as its close() would without
** a callback (the box is then closed for Lua); returns how many. For
** ludp.test: what a failed test left open must not fail the next one. */
static int core_close_handles (lua_State *L) {
  struct close_walk w = {{0}, 0};
  int i, top = lua_gettop(L);
  for (i = 1; i <= top; i++)
    w.wanted[luaL_checkoption(L, i, NULL, closable)] = 1;
  uv_walk(ludp_loop(), walk_close, &w);
  lua_pushinteger(L, w.closed);
  return 1;
}


static const luaL_Reg loop_funcs[] = {
  {"next_tick", core_next_tick},
  {"invoke", core_invoke},
  {"set_uncaught", core_set_uncaught},
  {"run", core_run},
  {"traceback", core_traceback},
  {"failed", core_failed},
  {"stop", core_stop},
  {"alive", core_alive},
  {"now", core_now},
  {"update_time", core_update_time},
  {"handles", core_handles},
  {"close_handles", core_close_handles},
  {NULL, NULL},
};

/* Adds the loop functions to the table on top; sets up the registry. */
void ludp_open_loop (lua_State *L) {
  if (tick_ref == LUA_NOREF) {
    const char *stress = getenv("LUDP_GC_STRESS");
    ludp_gc_stress = stress != NULL && *stress != '\0' &&
                     strcmp(stress, "0") != 0;
    lua_newtable(L);
    tick_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushboolean(L, 0);
    uncaught_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushboolean(L, 0);
    error_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushstring(L, "");
    traceback_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    ludp_set_state(L);
  }
  luaL_setfuncs(L, loop_funcs, 0);
}
