/*
** ludp.h
** Internal interface between the C files of ludp: the loop and its one
** protected call, handle boxes, and the luaopen functions of the core.
*/

#ifndef LUDP_H
#define LUDP_H

#include <lua.h>
#include <lauxlib.h>
#include <uv.h>

#define LUDP_VERSION "ludp 0.1.0"

/* ------------------------------------------------------------------ loop */

/* The one loop of the process, and the main Lua thread that callbacks use.
** ludp_loop_open makes the loop (0, or a negative libuv code); until it
** has succeeded ludp_loop() is NULL, so both the host and luaopen of the
** core call it before anything else. */
int ludp_loop_open (void);
uv_loop_t *ludp_loop (void);
lua_State *ludp_state (void);
void ludp_set_state (lua_State *L);

/*
** Calls the function below 'nargs' arguments on the stack in protected
** mode, then drains the nextTick queue. An error goes to the uncaught
** handler; one that nothing handles stops the loop and is raised again by
** core.run(). Pops the function and its arguments; returns 0 on success.
*/
int ludp_call (lua_State *L, int nargs);

/* The same for a hot path that avoids moving the stack: push the message
** handler with ludp_push_handler first, then the function and arguments;
** ludp_call_h pops all of them. */
void ludp_push_handler (lua_State *L);
int ludp_call_h (lua_State *L, int nargs);

/* Queues the function below 'nargs' arguments as a nextTick (popped). */
void ludp_next_tick (lua_State *L, int nargs);

/* Runs the nextTick queue until it is empty (pcall per callback). */
void ludp_drain_ticks (lua_State *L);

/* What follows each callback: the GC stress point, then the nextTick
** queue. ludp_call_h does it; a C function that calls several callbacks
** under one protected call does it after each (udp.c's batches). */
void ludp_after_callback (lua_State *L);

/* Whether an unhandled error is pending (the loop should stop). */
int ludp_failed (void);

/*
** GC stress (environment LUDP_GC_STRESS=1, read when the core opens): a
** full collection after every callback and at every call of the handle
** API, to flush out lifetime bugs. One branch on a flag when off.
*/
extern int ludp_gc_stress;
#define ludp_gc_point(L)                          \
  do {                                            \
    if (ludp_gc_stress) lua_gc(L, LUA_GCCOLLECT); \
  } while (0)

/* --------------------------------------------------------------- handles */

/*
** Every libuv handle lives in malloc'd memory behind a small userdata box,
** so that a collected box can still be closed safely: the memory is freed
** in the close callback, never before. 'data' of the uv handle points to
** its ludp_handle.
*/
typedef struct ludp_handle {
  uv_handle_t *h; /* the libuv handle (its memory follows this struct) */
  lua_State *L;
  int self_ref;  /* anchors the box while the loop needs it */
  int close_ref; /* Lua function called once closed, or LUA_NOREF */
  int cb_ref;    /* the handle's event callback, or LUA_NOREF */
  int closing;   /* uv_close was called */
  int collected; /* the box was collected: no Lua callbacks any more */
  struct ludp_handle **box; /* the box pointing here, while not collected */
  void (*on_free)(struct ludp_handle *lh);  /* type's cleanup, or NULL */
  void (*on_close)(struct ludp_handle *lh); /* before uv_close, or NULL */
} ludp_handle;

/* The uv handle of a box sits after the struct, suitably aligned. */
#define LUDP_HANDLE_OFFSET ((sizeof(ludp_handle) + 15) & ~(size_t)15)

/* Creates a box with metatable 'tname' and 'nuv' user values holding a
** new handle of 'size' bytes; pushes the box. The caller initialises the
** uv handle. */
ludp_handle *ludp_handle_new (lua_State *L, const char *tname, size_t size,
                              int nuv);

/* Checks that argument 'arg' is an open handle box of the type whose
** method is running (its metatable is upvalue 1: see ludp_handle_type). */
ludp_handle *ludp_handle_check (lua_State *L, int arg);

/* box:set_onmessage(fn) of the socket bindings (udp.c, unix_dgram.c):
** keeps fn (a function, a callable table, or nil, which drops what
** arrives) as user value 'uv' of the box at 1; returns 1 (status 0). */
int ludp_handle_set_onmessage (lua_State *L, int uv);

/* The open handle in the box at 'arg' if the box's metatable is the one
** at index 'mt', else NULL (never raises). */
ludp_handle *ludp_handle_test (lua_State *L, int arg, int mt);

/* The open handle in the box at 'arg', else NULL, for a box its caller
** took from a table that only C fills with boxes of one type: no
** metatable to check (and no GC point: the caller has its own). */
ludp_handle *ludp_handle_known (lua_State *L, int arg);

/* Closes the handle (no Lua call; nothing when it is closing already):
** what h:close() does without its callback, for the core's own use. */
void ludp_handle_close (ludp_handle *lh);

/* Takes/releases the anchor that keeps the box alive (box at 'idx'). */
void ludp_handle_anchor (lua_State *L, ludp_handle *lh, int idx);
void ludp_handle_unanchor (lua_State *L, ludp_handle *lh);

/* Replaces a registry reference with the value at 'idx' (nil clears). */
void ludp_ref_set (lua_State *L, int *ref, int idx);
void ludp_ref_clear (lua_State *L, int *ref);

/* Registers the metatable 'tname' of a handle type, its own __index, with
** 'methods' and those shared by every type (close, ref, unref, has_ref,
** is_closing, __gc); each method gets the metatable as upvalue 1. */
void ludp_handle_type (lua_State *L, const char *tname,
                       const luaL_Reg *methods);

/* Pushes the error name of a negative libuv status ("EADDRINUSE"). */
int ludp_push_uverr (lua_State *L, int status);

/* ----------------------------------------------------------- submodules */

void ludp_open_loop (lua_State *L);
void ludp_open_timer (lua_State *L);
void ludp_open_check (lua_State *L);
void ludp_open_signal (lua_State *L);
void ludp_open_dns (lua_State *L);
void ludp_open_udp (lua_State *L);
void ludp_open_notify (lua_State *L);

/* systemd's readiness protocol (notify.c): 'state' to $NOTIFY_SOCKET, or
** to the socket 'where' names. 1 sent, 0 no socket, or a negative code. */
int ludp_notify (const char *state);
int ludp_notify_to (const char *where, const char *state);
void ludp_open_stdio (lua_State *L);

/* At exit (stdio.c): waits for the stdout/stderr writes in flight and
** writes what is still queued, blocking; then forgets the Lua side. */
void ludp_stdio_flush (void);
void ludp_stdio_close (void);
void ludp_open_unix_dgram (lua_State *L);

/* The only symbol core.so exports. */
__attribute__((visibility("default"))) int luaopen_ludp_core (lua_State *L);

/* A Lua state with the host's allocator (alloc.c). */
lua_State *ludp_newstate (void);

/* The host's allocator for libuv (alloc.c): before any libuv call. */
void ludp_uv_allocator (void);

/* After a full collection (alloc.c): free memory back to the system. */
void ludp_alloc_trim (void);

/* collectgarbage() that trims after a full collection (alloc.c). */
void ludp_alloc_open (lua_State *L);

/* --workers (workers.c): forks 'n' workers and supervises them. Returns
** the worker's id (1..n) in a worker; in the supervisor, 0 once all have
** stopped, with the exit status in *status. 'stdin_script': stdin is
** the script, read once here and handed to every worker. */
int ludp_workers_run (int n, int stdin_script, int *status);

/* Embedded Lua modules of the host (modules.c). */
void ludp_preload_modules (lua_State *L);

/* The REPL's terminal side, ludp.replio (repl.c and the repl_*.c files it
** drives; host only: libedit). */
int luaopen_ludp_replio (lua_State *L);

#endif
