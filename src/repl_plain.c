/*
** repl_plain.c
** Plain lines for the REPL, when standard input is not a terminal or
** libedit cannot be loaded: no prompt, no echo, no editing. fd 0 is read
** through libuv's thread pool (a file cannot be polled), one read in
** flight at a time, so the loop never waits on it; the chunks are split
** into lines here and handed to the session in order, then the end of the
** input.
*/

#include <stdlib.h>
#include <string.h>

#include "repl_internal.h"


/* What is read: one chunk at a time, and the bytes that are not a whole
** line yet. */
static struct {
  uv_fs_t req;
  char chunk[4096];
  char *pend;      /* bytes read, not yet delivered (malloc'd) */
  size_t len, cap; /* of pend */
  int reading;     /* a read is in flight */
} plain;


static void on_read (uv_fs_t *req);

static void start_read (void) {
  uv_buf_t b = uv_buf_init(plain.chunk, sizeof plain.chunk);
  if (uv_fs_read(ludp_loop(), &plain.req, 0, &b, 1, -1, on_read) == 0)
    plain.reading = 1;
  else
    repl_deliver(NULL, 0);
}

static int pend_add (const char *s, size_t n) {
  if (plain.len + n > plain.cap) {
    size_t cap = plain.cap ? plain.cap * 2 : 256;
    char *p;
    while (cap < plain.len + n)
      cap *= 2;
    p = realloc(plain.pend, cap);
    if (p == NULL) return 0;
    plain.pend = p;
    plain.cap = cap;
  }
  memcpy(plain.pend + plain.len, s, n);
  plain.len += n;
  return 1;
}

static void on_read (uv_fs_t *req) {
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  plain.reading = 0;
  if (repl_stopped() || ludp_state() == NULL) return;
  if (n > 0 && pend_add(plain.chunk, (size_t)n)) {
    size_t start = 0, i;
    for (i = 0; i < plain.len && !repl_stopped(); i++) {
      if (plain.pend[i] == '\n') {
        repl_deliver(plain.pend + start, i - start);
        start = i + 1;
      }
    }
    if (repl_stopped()) return;
    memmove(plain.pend, plain.pend + start, plain.len - start);
    plain.len -= start;
    start_read();
    return;
  }
  if (plain.len > 0) { /* a last line without '\n' */
    size_t len = plain.len;
    plain.len = 0;
    repl_deliver(plain.pend, len);
  }
  repl_deliver(NULL, 0);
}


void repl_plain_start (void) {
  start_read();
}

void repl_plain_stop (void) {
  if (plain.reading) uv_cancel((uv_req_t *)&plain.req);
  free(plain.pend);
  plain.pend = NULL;
  plain.len = plain.cap = 0;
}
