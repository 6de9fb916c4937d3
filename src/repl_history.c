/*
** repl_history.c
** The REPL's history: the lines libedit brings back with the arrow keys
** (its list is repl_term.c's), and the history file, written so that it
** never shows another user what was typed (mode 0600, whatever the umask)
** and is replaced at once when trimmed. Which lines are kept, and where the file lives, is decided in
** lua/ludp/repl.lua.
*/

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repl_internal.h"


/* replio.history_add(line): adds to the in-memory history (arrow keys). */
int repl_history_add (lua_State *L) {
  size_t len;
  const char *line = luaL_checklstring(L, 1, &len);
  repl_term_history_add(line, len);
  return 0;
}

/* Opens 'path' for writing with mode 0600, whatever the umask. */
static int open_private (const char *path, int flags) {
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0600);
  if (fd >= 0 && fchmod(fd, 0600) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int write_all (int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

static int fs_result (lua_State *L, int ok, const char *path) {
  if (ok) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushnil(L);
  lua_pushfstring(L, "%s: %s", path, strerror(errno));
  return 2;
}

/* replio.history_append(path, line) -> true | nil, err */
int repl_history_append (lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t len;
  const char *line = luaL_checklstring(L, 2, &len);
  int fd = open_private(path, O_APPEND), ok;
  if (fd < 0) return fs_result(L, 0, path);
  ok = write_all(fd, line, len) == 0 && write_all(fd, "\n", 1) == 0;
  if (close(fd) != 0) ok = 0;
  return fs_result(L, ok, path);
}

/* replio.history_write(path, lines) -> true | nil, err: replaces the
** file at once (a temporary file renamed over it). */
int repl_history_write (lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const char *tmp;
  lua_Integer i, n;
  int fd, ok = 1;
  luaL_checktype(L, 2, LUA_TTABLE);
  tmp = lua_pushfstring(L, "%s.%d~", path, (int)getpid());
  fd = open_private(tmp, O_TRUNC);
  if (fd < 0) return fs_result(L, 0, tmp);
  n = (lua_Integer)lua_rawlen(L, 2);
  for (i = 1; i <= n && ok; i++) {
    size_t len;
    const char *s;
    lua_rawgeti(L, 2, i);
    s = lua_tolstring(L, -1, &len);
    if (s != NULL)
      ok = write_all(fd, s, len) == 0 && write_all(fd, "\n", 1) == 0;
    lua_pop(L, 1);
  }
  if (close(fd) != 0) ok = 0;
  if (ok && rename(tmp, path) != 0) ok = 0;
  if (!ok) {
    int e = errno;
    unlink(tmp);
    errno = e;
  }
  return fs_result(L, ok, path);
}
