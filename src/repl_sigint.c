/*
** repl_sigint.c
** Ctrl-C in the REPL. Our SIGINT handler sits in front of libuv's (or the
** default action). While a line runs it sets a hook that raises
** "interrupted!" at once, as lua.c's laction does. While the loop runs,
** the Ctrl-C is for the loop (repl_term.c cancels the line being typed),
** but a hook checks meanwhile that no callback keeps the loop from it: Lua
** code still running STUCK_MS later is interrupted instead.
*/

#include <signal.h>
#include <string.h>
#include <time.h>

#include "repl_internal.h"


/* How long a callback may keep the loop from seeing a Ctrl-C before the
** Ctrl-C interrupts it instead (the loop is stuck in Lua code). */
#define STUCK_MS 200

/* The state of Ctrl-C: one handler per process. The flags are read and
** written by the signal handler. */
static struct {
  lua_State *L;                     /* main state: the hooks are set on it */
  int loop_watches;                 /* the loop takes Ctrl-C too (a terminal) */
  struct sigaction old;             /* the handler behind ours */
  int installed;                    /* ours is in place */
  volatile sig_atomic_t evaluating; /* a line runs (replio.docall) */
  volatile sig_atomic_t pending;    /* a Ctrl-C the loop has not seen */
  volatile sig_atomic_t hook_set;   /* a hook of ours is set on L */
  int used;                         /* the hook took the pending Ctrl-C */
  struct timespec time;             /* when the pending Ctrl-C came */
} sig;


static long ms_since (const struct timespec *t) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long)(now.tv_sec - t->tv_sec) * 1000 +
         (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* The hook a Ctrl-C sets while a line runs: raises the error at once. */
static void lstop (lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  sig.hook_set = 0;
  luaL_error(L, "interrupted!");
}

/* The hook a Ctrl-C sets while the loop runs: Lua code that still runs
** STUCK_MS later, before the loop took the Ctrl-C, is interrupted. */
static void lcheck (lua_State *L, lua_Debug *ar) {
  (void)ar;
  if (!sig.pending) {
    lua_sethook(L, NULL, 0, 0);
    sig.hook_set = 0;
  }
  else if (ms_since(&sig.time) >= STUCK_MS) {
    lua_sethook(L, NULL, 0, 0);
    sig.hook_set = 0;
    sig.used = 1; /* the loop must not cancel the line too */
    luaL_error(L, "interrupted!");
  }
}

/* Clears a hook set by a Ctrl-C that no Lua code has met yet. */
static void clear_stop_hook (void) {
  if (sig.hook_set) {
    sig.hook_set = 0;
    lua_sethook(sig.L, NULL, 0, 0);
  }
}

/*
** SIGINT. While a line runs, interrupt it (lua.c's laction). Otherwise the
** loop should see it (libuv's handler, next in line, cancels the line
** being typed); a hook checks meanwhile that no callback keeps the loop
** from it (on a terminal, where our uv_signal_t takes it). With no one
** behind us, the default action applies.
*/
static void on_sigint_raw (int signum) {
  if (sig.evaluating) {
    sig.hook_set = 1;
    lua_sethook(sig.L, lstop, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
    return;
  }
  if (sig.loop_watches && (!sig.pending || !sig.hook_set)) {
    clock_gettime(CLOCK_MONOTONIC, &sig.time);
    sig.pending = 1;
    sig.hook_set = 1;
    lua_sethook(sig.L, lcheck, LUA_MASKCOUNT, 1000);
  }
  if (sig.old.sa_flags & SA_SIGINFO) {
    if (sig.old.sa_sigaction != NULL) sig.old.sa_sigaction(signum, NULL, NULL);
  }
  else if (sig.old.sa_handler == SIG_DFL) {
    signal(signum, SIG_DFL);
    raise(signum);
  }
  else if (sig.old.sa_handler != SIG_IGN)
    sig.old.sa_handler(signum);
}

void repl_sigint_install (lua_State *L, int loop_watches) {
  struct sigaction sa;
  sig.L = L;
  sig.loop_watches = loop_watches;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint_raw;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (sigaction(SIGINT, &sa, &sig.old) == 0) sig.installed = 1;
}

void repl_sigint_restore (void) {
  if (sig.installed) {
    sigaction(SIGINT, &sig.old, NULL);
    sig.installed = 0;
  }
}

void repl_sigint_line_begin (void) {
  sig.evaluating = 1;
}

void repl_sigint_line_end (void) {
  sig.evaluating = 0;
  clear_stop_hook();
  sig.pending = 0;
}

int repl_sigint_reached_loop (void) {
  sig.pending = 0;
  clear_stop_hook();
  if (sig.used) {
    sig.used = 0;
    return 1;
  }
  return 0;
}
