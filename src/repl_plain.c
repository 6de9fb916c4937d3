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


/* One read asks for at least this much room at the end of pend. */
#define READ_SIZE 65536

/* What is read: bytes that are not a whole line yet, and the next read
** going straight into the room after them. */
static struct {
  uv_fs_t req;
  char *pend;      /* bytes read, not yet delivered (malloc'd) */
  size_t len, cap; /* of pend */
  size_t scanned;  /* pend[0..scanned) holds no '\n': a long line is
                        searched once, not again at every chunk */
  int reading;     /* a read is in flight */
} plain;


static void on_read (uv_fs_t *req);

/* Makes room for READ_SIZE bytes after the pending ones. */
static int make_room (void) {
  size_t cap = plain.cap ? plain.cap : READ_SIZE;
  char *p;
  while (cap - plain.len < READ_SIZE)
    cap *= 2;
  if (cap == plain.cap) return 1;
  p = realloc(plain.pend, cap);
  if (p == NULL) return 0;
  plain.pend = p;
  plain.cap = cap;
  return 1;
}

static void start_read (void) {
  uv_buf_t b;
  if (!make_room()) {
    repl_deliver(NULL, 0);
    return;
  }
  b = uv_buf_init(plain.pend + plain.len, (unsigned)(plain.cap - plain.len));
  if (uv_fs_read(ludp_loop(), &plain.req, 0, &b, 1, -1, on_read) == 0)
    plain.reading = 1;
  else
    repl_deliver(NULL, 0);
}

/* Delivers the whole lines of pend and keeps what follows the last. */
static void deliver_lines (void) {
  size_t start = 0;
  char *nl;
  while (!repl_stopped() && (nl = memchr(plain.pend + plain.scanned, '\n',
                                         plain.len - plain.scanned)) != NULL) {
    size_t end = (size_t)(nl - plain.pend);
    repl_deliver(plain.pend + start, end - start);
    start = plain.scanned = end + 1;
  }
  if (repl_stopped()) return;
  plain.scanned = plain.len;
  if (start > 0) {
    memmove(plain.pend, plain.pend + start, plain.len - start);
    plain.len -= start;
    plain.scanned -= start;
  }
}

static void forget (void) {
  free(plain.pend);
  plain.pend = NULL;
  plain.len = plain.cap = plain.scanned = 0;
}

static void on_read (uv_fs_t *req) {
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  plain.reading = 0;
  if (repl_stopped()) {
    forget(); /* stopped while this read was in flight */
    return;
  }
  if (ludp_state() == NULL) return;
  if (n > 0) {
    plain.len += (size_t)n;
    deliver_lines();
    if (!repl_stopped()) start_read();
    return;
  }
  if (plain.len > 0) { /* a last line without '\n' */
    size_t len = plain.len;
    plain.len = plain.scanned = 0;
    repl_deliver(plain.pend, len);
  }
  repl_deliver(NULL, 0);
}


void repl_plain_start (void) {
  start_read();
}

void repl_plain_stop (void) {
  /* A read in flight writes into pend, and a running one cannot be
  ** cancelled: its callback, which still comes, forgets pend then. */
  if (plain.reading)
    uv_cancel((uv_req_t *)&plain.req);
  else
    forget();
}
