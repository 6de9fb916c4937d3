/*
** main.c
** The ludp host: a Lua state with the built-in modules preloaded, handing
** the command line to ludp.host (Lua), which runs the script or the REPL
** and the loop, and returns the exit status. Before the state come
** descriptors 0 to 2 and the loop: a host that cannot have them says why
** ("ludp: <reason>") and exits 1. Afterwards every handle is closed and
** freed, so leak checkers see a clean exit. With --workers N the
** supervisor (workers.c) forks the workers first; each worker goes on
** here as a plain ludp, with process.workerId set.
*/

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lualib.h>

#include "ludp.h"

static int worker_id; /* 1..N in a worker of --workers, else 0 */

/* Runs ludp.host.main(argv...) -> exit status. */
static int pmain (lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  int i;
  luaL_openlibs(L);
  ludp_alloc_open(L); /* collectgarbage() gives free memory back */
  /* Lua's generational collector: a datagram's garbage (msg, rinfo) dies
  ** young and is freed without tracing the old heap again. Switched on
  ** while the heap is still small, so the switch costs nothing; the step
  ** sets the first minor cycle's debt, which Lua 5.4.4 leaves unset. See
  ** docs/production.md; collectgarbage("incremental") switches back. */
  lua_gc(L, LUA_GCGEN, 0, 0);
  lua_gc(L, LUA_GCSTEP, 0);
  ludp_preload_modules(L);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "ludp.host");
  lua_call(L, 1, 1);
  if (worker_id > 0) {
    lua_pushinteger(L, worker_id);
    lua_setfield(L, -2, "worker_id");
  }
  lua_getfield(L, -1, "main");
  luaL_checkstack(L, argc, "too many arguments");
  for (i = 0; i < argc; i++)
    lua_pushstring(L, argv[i]);
  lua_call(L, argc, 1);
  return 1;
}

static int msghandler (lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) msg = luaL_typename(L, 1);
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/*
** From here on the host is exiting with the status the script chose. The
** signal handles close with the state, and libuv then puts SIG_DFL back:
** a SIGTERM arriving now (a second one, from a supervisor that signals the
** whole process group) would turn that status into death by signal. So a
** signal that has a listener is ignored from here on: its handle stops
** and SIG_IGN replaces what libuv restored. The main thread also blocks
** the usual termination signals meanwhile (libuv's threads may exist).
*/
static void ignore_watched (uv_handle_t *h, void *arg) {
  (void)arg;
  if (h->type == UV_SIGNAL && uv_is_active(h)) {
    int num = ((uv_signal_t *)h)->signum;
    uv_signal_stop((uv_signal_t *)h);
    signal(num, SIG_IGN);
  }
}

static void quiet_exit_signals (void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, NULL);
  uv_walk(ludp_loop(), ignore_watched, NULL);
}

/*
** A descriptor 0, 1 or 2 the host was started without would be the
** first one a socket or the loop takes, and libuv asserts that it never
** closes those (so a run with stdin closed aborted at exit). Each one
** missing is opened on /dev/null, as Node does. Returns 0, or -1 when
** /dev/null cannot be opened (too few descriptors: the rest could not
** run anyway).
*/
static int open_std_fds (void) {
  int fd;
  for (fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd) return -1;
  }
  return 0;
}

/* --workers N or --workers=N among the options; N a number or "auto". */
static int workers_value (const char *v) {
  char *end;
  long n;
  if (strcmp(v, "auto") == 0) return (int)uv_available_parallelism();
  errno = 0;
  n = strtol(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || n < 1 || n > 1024) {
    fprintf(stderr,
            "ludp: --workers: expected a number from 1 to 1024 or "
            "'auto', got '%s'\n",
            v);
    return -1;
  }
  return (int)n;
}

/*
** Takes --workers out of argv (options come before the script, as
** ludp.host parses them) and sees what the run would be: a REPL is
** refused, stdin as the script is read once by the supervisor. Returns
** the number of workers, 0 without --workers (or with -h, -v alone or an
** option ludp.host will refuse: it says why), or -1 after an error.
*/
static int scan_workers (int *argc, char **argv, int *stdin_script) {
  int i = 1, j, n = 0, chunks = 0, repl = 0, script = 0, plain = 0;
  int version = 0;
  while (i < *argc) {
    const char *a = argv[i];
    int drop = 0;
    if (strcmp(a, "--") == 0) {
      script = i + 1 < *argc;
      break;
    }
    else if (strcmp(a, "-") == 0) {
      *stdin_script = 1;
      break;
    }
    else if (strcmp(a, "--workers") == 0 || strncmp(a, "--workers=", 10) == 0) {
      const char *v = a[9] == '=' ? a + 10 : argv[i + 1];
      drop = a[9] == '=' ? 1 : 2;
      if (v == NULL) v = "";
      if ((n = workers_value(v)) < 0) return -1;
    }
    else if (strcmp(a, "-e") == 0) {
      chunks++;
      i += 2;
    }
    else if (strncmp(a, "-e", 2) == 0)
      chunks++, i++;
    else if (strcmp(a, "-i") == 0)
      repl = 1, i++;
    else if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0)
      version = 1, i++;
    else if (a[0] == '-') { /* -h and what ludp.host refuses */
      plain = 1;
      i++;
    }
    else {
      script = 1;
      break;
    }
    if (drop) {
      for (j = i; j + drop <= *argc; j++)
        argv[j] = argv[j + drop];
      *argc -= drop;
    }
  }
  if (n == 0 || plain) return 0;
  if (version && !script && !*stdin_script && chunks == 0 && !repl) return 0;
  if (!script && !*stdin_script && chunks == 0) {
    if (uv_guess_handle(0) == UV_TTY)
      repl = 1;
    else
      *stdin_script = 1;
  }
  if (repl) {
    fprintf(stderr, "ludp: --workers runs a script (a file, -e or -) in "
                    "each worker; it cannot share the REPL\n");
    return -1;
  }
  return n;
}

int main (int argc, char **argv) {
  lua_State *L;
  int status, code, workers, stdin_script = 0;
  if (open_std_fds() != 0) {
    fprintf(stderr, "ludp: cannot open /dev/null: %s\n", strerror(errno));
    return 1;
  }
  signal(SIGPIPE, SIG_IGN); /* a closed peer must not kill a server */
  ludp_uv_allocator();
  workers = scan_workers(&argc, argv, &stdin_script);
  if (workers < 0) return 2;
  if (workers > 0) {
    worker_id = ludp_workers_run(workers, stdin_script, &code);
    if (worker_id == 0) return code; /* the supervisor, all stopped */
  }
  /* The loop first: everything after it, the exit path included, may
  ** use it. It fails with too few descriptors or too little memory. */
  status = ludp_loop_open();
  if (status != 0) {
    fprintf(stderr, "ludp: cannot create the event loop: %s\n",
            uv_strerror(status));
    return 1;
  }
  L = ludp_newstate();
  if (L == NULL) {
    fprintf(stderr, "ludp: cannot create state: not enough memory\n");
    uv_loop_close(ludp_loop());
    return 1;
  }
  ludp_set_state(L);
  lua_pushcfunction(L, msghandler);
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  status = lua_pcall(L, 2, 1, 1);
  if (status != LUA_OK) { /* a failure of the host itself */
    fprintf(stderr, "ludp: %s\n", lua_tostring(L, -1));
    code = 1;
  }
  else
    code = (int)lua_tointeger(L, -1);
  fflush(stdout);
  ludp_stdio_flush(); /* process.stdout's queue, whatever stopped the loop */
  quiet_exit_signals();
  lua_close(L); /* __gc closes every handle */
  ludp_set_state(NULL);
  ludp_stdio_close();
  uv_run(ludp_loop(), UV_RUN_NOWAIT);
  uv_loop_close(ludp_loop());
  return code;
}
