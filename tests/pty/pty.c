/*
** pty.c
** A pseudo-terminal driver for the REPL specs, as a small Lua module: it
** runs a program on a new pty (posix_openpt; the child is a session leader
** with the pty as its controlling terminal, so Ctrl-C typed there is a
** SIGINT) and lets a spec type into it and read what it draws, with
** timeouts. tests/pty/driver.lua compiles it when a spec needs it.
**
**   local p = pty.spawn({ "/path/ludp", "-i" }, { HOME = "/tmp/x" })
**   p:write("1+1\r")
**   p:write_some(s, i)          -- bytes of s from i written without waiting
**   local data = p:read(100)    -- "" after 100 ms without output, nil at end
**   p:status()                  -- nil while running, else the exit status
**   p:kill(15); p:close()
**   pty.now()                   -- ms of a monotonic clock
*/

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <lua.h>
#include <lauxlib.h>

#define PTY_T "ludp.test.pty"

typedef struct {
  int fd;          /* the master side, or -1 once closed */
  pid_t pid;       /* the child, or -1 once reaped */
  int status;      /* its exit status once reaped */
} proc;

static proc *check_proc (lua_State *L) {
  return luaL_checkudata(L, 1, PTY_T);
}

/* Reaps the child if it has exited; 'block' waits for it. */
static void reap (proc *p, int block) {
  int st;
  pid_t r;
  if (p->pid < 0) return;
  do r = waitpid(p->pid, &st, block ? 0 : WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == p->pid) {
    p->status = WIFEXITED(st) ? WEXITSTATUS(st)
              : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
    p->pid = -1;
  }
}

/* In the child: the pty becomes the controlling terminal and fds 0-2. */
static void child (const char *slave, lua_State *L) {
  int fd, i, n;
  setsid();
  fd = open(slave, O_RDWR);
  if (fd < 0) _exit(127);
  ioctl(fd, TIOCSCTTY, 0);
  dup2(fd, 0);
  dup2(fd, 1);
  dup2(fd, 2);
  if (fd > 2) close(fd);
  signal(SIGINT, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  /* environment overrides: table at index 2, false/"" removes */
  if (lua_istable(L, 2)) {
    lua_pushnil(L);
    while (lua_next(L, 2)) {
      const char *k = lua_tostring(L, -2);
      if (k != NULL) {
        if (lua_type(L, -1) == LUA_TSTRING) setenv(k, lua_tostring(L, -1), 1);
        else unsetenv(k);
      }
      lua_pop(L, 1);
    }
  }
  n = (int)lua_rawlen(L, 1);
  {
    char **argv = calloc((size_t)n + 1, sizeof(char *));
    if (argv == NULL) _exit(127);
    for (i = 0; i < n; i++) {
      lua_rawgeti(L, 1, i + 1);
      argv[i] = (char *)lua_tostring(L, -1);
    }
    execvp(argv[0], argv);
  }
  _exit(127);
}

/* pty.spawn(argv, env) -> proc */
static int pty_spawn (lua_State *L) {
  proc *p;
  struct winsize ws;
  char slave[128];
  int fd;
  pid_t pid;
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argcheck(L, lua_rawlen(L, 1) >= 1, 1, "empty argv");
  fd = posix_openpt(O_RDWR | O_NOCTTY);
  if (fd < 0 || grantpt(fd) != 0 || unlockpt(fd) != 0 ||
      ptsname_r(fd, slave, sizeof slave) != 0)
    return luaL_error(L, "cannot open a pty: %s", strerror(errno));
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  memset(&ws, 0, sizeof ws);
  ws.ws_row = 24;
  ws.ws_col = 80;
  ioctl(fd, TIOCSWINSZ, &ws);
  p = lua_newuserdatauv(L, sizeof *p, 0);
  p->fd = -1;
  p->pid = -1;
  p->status = -1;
  luaL_setmetatable(L, PTY_T);
  pid = fork();
  if (pid < 0) {
    close(fd);
    return luaL_error(L, "fork: %s", strerror(errno));
  }
  if (pid == 0) {
    close(fd);
    child(slave, L);
  }
  p->fd = fd;
  p->pid = pid;
  return 1;
}

/* p:read(timeout_ms) -> data, "" on timeout, nil once the pty is closed */
static int pty_read (lua_State *L) {
  proc *p = check_proc(L);
  int timeout = (int)luaL_optinteger(L, 2, 0), r;
  static char buf[65536];  /* all a long line's echo at once, if it is there */
  struct pollfd pfd;
  ssize_t n;
  if (p->fd < 0) return 0;
  pfd.fd = p->fd;
  pfd.events = POLLIN;
  do r = poll(&pfd, 1, timeout);
  while (r < 0 && errno == EINTR);
  if (r == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  do n = read(p->fd, buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return 0;            /* EIO: the child closed its side */
  lua_pushlstring(L, buf, (size_t)n);
  return 1;
}

/* p:write(s) -> true */
static int pty_write (lua_State *L) {
  proc *p = check_proc(L);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  while (len > 0 && p->fd >= 0) {
    ssize_t w = write(p->fd, s, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return luaL_error(L, "write: %s", strerror(errno));
    }
    s += w;
    len -= (size_t)w;
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* p:write_some(s, i) -> n: writes what the pty takes now of s from its
** byte i on, without waiting (0: its input queue is full, or it failed) */
static int pty_write_some (lua_State *L) {
  proc *p = check_proc(L);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  lua_Integer i = luaL_optinteger(L, 3, 1);
  int flags;
  ssize_t w;
  luaL_argcheck(L, i >= 1 && (size_t)i <= len + 1, 3, "out of range");
  if (p->fd < 0 || (size_t)i > len) {
    lua_pushinteger(L, 0);
    return 1;
  }
  flags = fcntl(p->fd, F_GETFL);
  fcntl(p->fd, F_SETFL, flags | O_NONBLOCK);
  do w = write(p->fd, s + i - 1, len - (size_t)i + 1);
  while (w < 0 && errno == EINTR);
  fcntl(p->fd, F_SETFL, flags);
  /* EAGAIN, or EIO once the program is gone: the caller's read sees that */
  lua_pushinteger(L, w < 0 ? 0 : (lua_Integer)w);
  return 1;
}

/* p:status() -> nil while running, else the exit status (128+n: signal n) */
static int pty_status (lua_State *L) {
  proc *p = check_proc(L);
  reap(p, 0);
  if (p->pid >= 0) return 0;
  lua_pushinteger(L, p->status);
  return 1;
}

static int pty_pid (lua_State *L) {
  lua_pushinteger(L, check_proc(L)->pid);
  return 1;
}

/* p:kill(signum) */
static int pty_kill (lua_State *L) {
  proc *p = check_proc(L);
  int sig = (int)luaL_optinteger(L, 2, SIGTERM);
  if (p->pid >= 0) kill(p->pid, sig);
  return 0;
}

/* p:close(): kills the child if still running, reaps it, closes the pty. */
static int pty_close (lua_State *L) {
  proc *p = check_proc(L);
  reap(p, 0);
  if (p->pid >= 0) {
    kill(p->pid, SIGKILL);
    reap(p, 1);
  }
  if (p->fd >= 0) {
    close(p->fd);
    p->fd = -1;
  }
  return 0;
}

/* pty.now() -> ms: a monotonic clock, for the driver's watchdogs. */
static int pty_now (lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
  return 1;
}

/* pty.sleep(ms): for waiting on a process that closed its pty. */
static int pty_sleep (lua_State *L) {
  lua_Integer ms = luaL_checkinteger(L, 1);
  struct timespec ts;
  ts.tv_sec = (time_t)(ms / 1000);
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) ;
  return 0;
}

static const luaL_Reg methods[] = {
  {"read", pty_read},
  {"write", pty_write},
  {"write_some", pty_write_some},
  {"status", pty_status},
  {"pid", pty_pid},
  {"kill", pty_kill},
  {"close", pty_close},
  {"__gc", pty_close},
  {"__close", pty_close},
  {NULL, NULL}
};

int luaopen_pty (lua_State *L) {
  if (luaL_newmetatable(L, PTY_T)) {
    luaL_setfuncs(L, methods, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushcfunction(L, pty_spawn);
  lua_setfield(L, -2, "spawn");
  lua_pushcfunction(L, pty_sleep);
  lua_setfield(L, -2, "sleep");
  lua_pushcfunction(L, pty_now);
  lua_setfield(L, -2, "now");
  return 1;
}
