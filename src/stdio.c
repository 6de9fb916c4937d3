/*
** stdio.c
** Descriptors 0 to 2 on the loop, for process.stdin/stdout/stderr.
**
** Reading: a terminal, a pipe or a stream socket is a libuv stream
** (uv_tty_t, uv_pipe_t, uv_tcp_t) read while Lua asks, so a paused stdin
** holds nothing; a file or anything else libuv cannot poll is read through
** the thread pool, one uv_fs_read at a time.
**
** Writing: each of fd 1 and 2 has a queue of bytes, written by one job of
** the thread pool at a time with plain blocking write(2) calls, so a slow
** reader never holds the loop, bytes go out in the order they were given,
** and the descriptor keeps its blocking mode (C's stdio, behind print and
** io.write, would lose bytes on a non-blocking descriptor). A job in
** flight keeps the loop alive; at exit (the host's, process.exit, or any
** exit() through atexit) ludp_stdio_flush waits for it and writes what is
** left, so nothing given is lost.
*/

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ludp.h"

static const char STDIN_T[] = "ludp.stdin";

#define READ_SIZE 65536


/* ---------------------------------------------------------------- reading */

/* One stream reads at a time (fd 0): its chunks land here. */
static char read_buf[READ_SIZE];

/* fd 0's file status flags before libuv made it non-blocking: put back at
** exit, as the descriptor may be shared with the next program reading
** the same input (a shell's `{ ludp script; cat; } < input`). */
static int stdin_flags = -1;

static void on_alloc (uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  (void)suggested;
  *buf = uv_buf_init(read_buf, sizeof read_buf);
}

/* fn(chunk) for data; fn(nil, status) at the end (UV_EOF) or a failure,
** after which the stream no longer reads. */
static void on_read (uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  ludp_handle *lh = s->data;
  lua_State *L = lh->L;
  (void)buf;
  if (n == 0 || lh->collected) return;
  if (n < 0) {
    uv_read_stop(s);
    ludp_handle_unanchor(L, lh);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, lh->cb_ref);
  if (n > 0) {
    lua_pushlstring(L, read_buf, (size_t)n);
    ludp_call(L, 1);
  }
  else {
    lua_pushnil(L);
    lua_pushinteger(L, (lua_Integer)n);
    ludp_call(L, 2);
  }
}

/* core.stdin_stream() -> status, box | status, nil: fd 0 as a libuv
** stream when it is a terminal, a pipe or a stream socket; UV_EINVAL
** when it is none of these (read it with core.fs_read). */
static int stdin_stream (lua_State *L) {
  uv_handle_type type = uv_guess_handle(0);
  ludp_handle *lh;
  int r;
  size_t size = sizeof(uv_tty_t);
  if (type != UV_TTY && type != UV_NAMED_PIPE && type != UV_TCP) {
    lua_pushinteger(L, UV_EINVAL);
    return 1;
  }
  if (stdin_flags == -1) stdin_flags = fcntl(0, F_GETFL);
  if (sizeof(uv_pipe_t) > size) size = sizeof(uv_pipe_t);
  if (sizeof(uv_tcp_t) > size) size = sizeof(uv_tcp_t);
  lh = ludp_handle_new(L, STDIN_T, size, 0);
  if (type == UV_TTY) {
    r = uv_tty_init(ludp_loop(), (uv_tty_t *)lh->h, 0, 1);
  }
  else if (type == UV_NAMED_PIPE) {
    r = uv_pipe_init(ludp_loop(), (uv_pipe_t *)lh->h, 0);
    if (r == 0) r = uv_pipe_open((uv_pipe_t *)lh->h, 0);
  }
  else {
    r = uv_tcp_init(ludp_loop(), (uv_tcp_t *)lh->h);
    if (r == 0) r = uv_tcp_open((uv_tcp_t *)lh->h, 0);
  }
  if (r != 0 && lh->h->type == UV_UNKNOWN_HANDLE) {
    /* init failed: there is no handle to close */
    *lh->box = NULL;
    free(lh);
    lua_pushinteger(L, r);
    return 1;
  }
  lua_pushinteger(L, r);
  lua_insert(L, -2);
  return 2;
}

/* s:read_start(fn) -> status: anchored while reading. */
static int stdin_read_start (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  int r;
  luaL_checktype(L, 2, LUA_TFUNCTION);
  ludp_ref_set(L, &lh->cb_ref, 2);
  r = uv_read_start((uv_stream_t *)lh->h, on_alloc, on_read);
  if (r == UV_EALREADY) r = 0;
  if (r == 0) ludp_handle_anchor(L, lh, 1);
  lua_pushinteger(L, r);
  return 1;
}

static int stdin_read_stop (lua_State *L) {
  ludp_handle *lh = ludp_handle_check(L, 1);
  uv_read_stop((uv_stream_t *)lh->h);
  ludp_handle_unanchor(L, lh);
  return 0;
}


typedef struct {
  uv_fs_t req;
  int cb_ref;
  char buf[READ_SIZE];
} fs_read_req;

static void on_fs_read (uv_fs_t *req) {
  fs_read_req *fr = req->data;
  lua_State *L = ludp_state();
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  if (L == NULL) { /* the host is shutting down */
    free(fr);
    return;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, fr->cb_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, fr->cb_ref);
  lua_pushinteger(L, (lua_Integer)n);
  if (n > 0)
    lua_pushlstring(L, fr->buf, (size_t)n);
  else
    lua_pushnil(L);
  free(fr);
  ludp_call(L, 2);
}

/* core.fs_read(fd, fn) -> status: one read of up to 64 KiB through the
** thread pool; fn(n, chunk) with n > 0, fn(0, nil) at the end, fn(status,
** nil) on failure. */
static int core_fs_read (lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  fs_read_req *fr;
  uv_buf_t b;
  int r;
  luaL_checktype(L, 2, LUA_TFUNCTION);
  ludp_gc_point(L);
  if (fd < 0 || fd > 0x7fffffff) {
    lua_pushinteger(L, UV_EBADF);
    return 1;
  }
  fr = malloc(sizeof *fr);
  if (fr == NULL) return luaL_error(L, "not enough memory");
  fr->req.data = fr;
  b = uv_buf_init(fr->buf, sizeof fr->buf);
  lua_pushvalue(L, 2);
  fr->cb_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  r = uv_fs_read(ludp_loop(), &fr->req, (uv_file)fd, &b, 1, -1, on_fs_read);
  if (r != 0) {
    luaL_unref(L, LUA_REGISTRYINDEX, fr->cb_ref);
    free(fr);
  }
  lua_pushinteger(L, r);
  return 1;
}


/* ---------------------------------------------------------------- writing */

typedef struct {
  int fd;
  int started;    /* lock and cond made */
  uv_work_t work; /* the job in flight, while 'busy' */
  int busy;
  char *pend; /* bytes given, not yet handed to a job */
  size_t len, cap;
  char *flight; /* the job's bytes */
  size_t flen, fcap;
  size_t written;    /* by the job */
  int err;           /* the job's failure (negative), 0 if none */
  int done;          /* the job has finished (under lock) */
  int broken;        /* a write failed: later bytes are dropped */
  lua_Integer total; /* bytes written since the start */
  int cb_ref;        /* fn(total, status) after each job */
  uv_mutex_t lock;
  uv_cond_t cond;
} writer;

static writer writers[3];

/* Writes buf whole to fd, blocking; waits where the descriptor was made
** non-blocking by someone else. Returns 0 or a negative libuv code;
** *written says how much went out. */
static int write_all (int fd, const char *buf, size_t len, size_t *written) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, buf + done, len - done);
    if (n >= 0) {
      done += (size_t)n;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      struct pollfd p = {fd, POLLOUT, 0};
      poll(&p, 1, -1);
      continue;
    }
    *written = done;
    return uv_translate_sys_error(errno);
  }
  *written = done;
  return 0;
}

static void job_work (uv_work_t *w) {
  writer *wr = w->data;
  wr->err = write_all(wr->fd, wr->flight, wr->flen, &wr->written);
  uv_mutex_lock(&wr->lock);
  wr->done = 1;
  uv_cond_signal(&wr->cond);
  uv_mutex_unlock(&wr->lock);
}

static void job_after (uv_work_t *w, int status);

/* Hands the pending bytes to a job. */
static int job_start (writer *wr) {
  char *p = wr->flight;
  size_t cap = wr->fcap;
  int r;
  wr->flight = wr->pend;
  wr->fcap = wr->cap;
  wr->flen = wr->len;
  wr->pend = p;
  wr->cap = cap;
  wr->len = 0;
  wr->written = 0;
  wr->err = 0;
  wr->done = 0;
  wr->work.data = wr;
  r = uv_queue_work(ludp_loop(), &wr->work, job_work, job_after);
  if (r == 0) wr->busy = 1;
  return r;
}

static void job_after (uv_work_t *w, int status) {
  writer *wr = w->data;
  lua_State *L = ludp_state();
  int err = status != 0 ? status : wr->err;
  wr->busy = 0;
  wr->total += (lua_Integer)wr->written;
  if (L == NULL) { /* exiting: ludp_stdio_flush did the rest */
    free(wr->flight);
    wr->flight = NULL;
    wr->fcap = 0;
    return;
  }
  if (err != 0) {
    wr->broken = err;
    wr->len = 0;
  }
  else if (wr->len > 0) {
    int r = job_start(wr);
    if (r != 0) err = wr->broken = r;
  }
  if (wr->cb_ref != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, wr->cb_ref);
    lua_pushinteger(L, wr->total);
    lua_pushinteger(L, err);
    ludp_call(L, 2);
  }
}

/* exit() from anywhere (os.exit too) writes what was given. */
static void flush_at_exit (void) {
  ludp_stdio_flush();
}

static writer *check_writer (lua_State *L, int arg) {
  static int at_exit_set;
  lua_Integer fd = luaL_checkinteger(L, arg);
  writer *wr;
  luaL_argcheck(L, fd == 1 || fd == 2, arg, "1 or 2 expected");
  wr = &writers[fd];
  if (!wr->started) {
    if (uv_mutex_init(&wr->lock) != 0 || uv_cond_init(&wr->cond) != 0)
      luaL_error(L, "cannot create a lock");
    wr->fd = (int)fd;
    wr->cb_ref = LUA_NOREF;
    wr->started = 1;
    if (!at_exit_set && atexit(flush_at_exit) == 0) at_exit_set = 1;
  }
  return wr;
}

/* core.stdio_write(fd, s) -> status, pending: queues s for fd 1 or 2;
** 'pending' counts the bytes given and not yet written. A status < 0 is
** the failure that broke the descriptor earlier (s is dropped). */
static int core_stdio_write (lua_State *L) {
  writer *wr = check_writer(L, 1);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  ludp_gc_point(L);
  if (wr->broken) {
    lua_pushinteger(L, wr->broken);
    lua_pushinteger(L, 0);
    return 2;
  }
  if (len > 0) {
    if (wr->cap - wr->len < len) {
      size_t cap = wr->cap ? wr->cap : 4096;
      char *p;
      while (cap - wr->len < len) {
        if (cap > ((size_t)-1) / 2) return luaL_error(L, "not enough memory");
        cap *= 2;
      }
      p = realloc(wr->pend, cap);
      if (p == NULL) return luaL_error(L, "not enough memory");
      wr->pend = p;
      wr->cap = cap;
    }
    memcpy(wr->pend + wr->len, s, len);
    wr->len += len;
    if (!wr->busy) {
      int r = job_start(wr);
      if (r != 0) {
        wr->broken = r;
        lua_pushinteger(L, r);
        lua_pushinteger(L, 0);
        return 2;
      }
    }
  }
  lua_pushinteger(L, 0);
  lua_pushinteger(L, (lua_Integer)(wr->len + (wr->busy ? wr->flen : 0)));
  return 2;
}

/* core.stdio_onwritten(fd, fn | nil): fn(total, status) after each job. */
static int core_stdio_onwritten (lua_State *L) {
  writer *wr = check_writer(L, 1);
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
  ludp_ref_set(L, &wr->cb_ref, 2);
  return 0;
}

void ludp_stdio_flush (void) {
  int fd;
  if (stdin_flags != -1) {
    fcntl(0, F_SETFL, stdin_flags);
    stdin_flags = -1;
  }
  for (fd = 1; fd <= 2; fd++) {
    writer *wr = &writers[fd];
    size_t n;
    if (!wr->started) continue;
    if (wr->busy) {
      uv_mutex_lock(&wr->lock);
      while (!wr->done)
        uv_cond_wait(&wr->cond, &wr->lock);
      uv_mutex_unlock(&wr->lock);
      if (wr->err != 0) wr->broken = wr->err;
    }
    if (!wr->broken && wr->len > 0) write_all(fd, wr->pend, wr->len, &n);
    wr->len = 0;
    wr->broken = wr->broken ? wr->broken : UV_ECANCELED; /* no more */
  }
}

/* Forgets the Lua side (the state is closing); frees what no job uses. */
void ludp_stdio_close (void) {
  int fd;
  for (fd = 1; fd <= 2; fd++) {
    writer *wr = &writers[fd];
    if (!wr->started) continue;
    wr->cb_ref = LUA_NOREF; /* the registry goes with the state */
    free(wr->pend);
    wr->pend = NULL;
    wr->len = wr->cap = 0;
    if (!wr->busy) {
      free(wr->flight);
      wr->flight = NULL;
      wr->fcap = 0;
    }
  }
}


void ludp_open_stdio (lua_State *L) {
  static const luaL_Reg stdin_methods[] = {{"read_start", stdin_read_start},
                                           {"read_stop", stdin_read_stop},
                                           {NULL, NULL}};
  static const luaL_Reg funcs[] = {{"stdin_stream", stdin_stream},
                                   {"fs_read", core_fs_read},
                                   {"stdio_write", core_stdio_write},
                                   {"stdio_onwritten", core_stdio_onwritten},
                                   {NULL, NULL}};
  ludp_handle_type(L, STDIN_T, stdin_methods);
  luaL_setfuncs(L, funcs, 0);
}
