/*
 * bench/echo_uv.c - the plain-C libuv UDP echo server: the reference that
 * bench/run compares ludp and Node with (the "uv-c" row).
 *
 *   echo_uv PORT          (else $PORT) - binds 127.0.0.1:PORT
 *
 * What a careful C programmer writes on libuv: one static receive buffer
 * (nothing allocated per datagram), the reply sent straight from it with
 * uv_udp_try_send; only when that cannot go out at once (EAGAIN: the socket
 * buffer is full or libuv still has queued sends) is the datagram copied
 * into a request and queued with uv_udp_send. SIGTERM or SIGINT prints the
 * counters on stderr and stops the loop.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct {
  uv_udp_send_t req; /* first: the callback frees the whole block */
  char bytes[];
} queued_reply;

static char buffer[65536];
static uv_udp_t udp;
static uv_signal_t on_term, on_int;
static unsigned long long received, sent_now, queued, failed;

static void give_buffer (uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  (void)suggested;
  *buf = uv_buf_init(buffer, sizeof buffer);
}

static void reply_done (uv_udp_send_t *req, int status) {
  if (status < 0) failed++;
  free(req);
}

static void echo (uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                  const struct sockaddr *from, unsigned flags) {
  (void)flags;
  if (nread < 0) {
    failed++;
    return;
  }
  if (from == NULL) return; /* nothing more to read */
  received++;
  uv_buf_t reply = uv_buf_init(buf->base, (unsigned)nread);
  int r = uv_udp_try_send(h, &reply, 1, from);
  if (r >= 0) {
    sent_now++;
    return;
  }
  if (r != UV_EAGAIN && r != UV_ENOBUFS) {
    failed++;
    return;
  }
  /* The buffer is reused by the next read: the queued reply needs a copy. */
  queued_reply *q = malloc(sizeof *q + (size_t)nread);
  if (q == NULL) {
    failed++;
    return;
  }
  memcpy(q->bytes, buf->base, (size_t)nread);
  reply = uv_buf_init(q->bytes, (unsigned)nread);
  if (uv_udp_send(&q->req, h, &reply, 1, from, reply_done) != 0) {
    free(q);
    failed++;
    return;
  }
  queued++;
}

static void stop (uv_signal_t *s, int signum) {
  fprintf(stderr,
          "echo_uv: signal %d: received=%llu sent_at_once=%llu queued=%llu "
          "errors=%llu\n",
          signum, received, sent_now, queued, failed);
  uv_signal_stop(&on_term);
  uv_signal_stop(&on_int);
  uv_close((uv_handle_t *)&udp, NULL);
  uv_close((uv_handle_t *)&on_term, NULL);
  uv_close((uv_handle_t *)&on_int, NULL);
  (void)s;
}

int main (int argc, char **argv) {
  const char *port = argc > 1 ? argv[argc - 1] : getenv("PORT");
  int p = port ? atoi(port) : 0;
  if (p <= 0 || p > 65535) {
    fprintf(stderr, "usage: echo_uv PORT\n");
    return 2;
  }
  uv_loop_t *loop = uv_default_loop();
  struct sockaddr_in addr;
  int r = uv_ip4_addr("127.0.0.1", p, &addr);
  if (!r) r = uv_udp_init(loop, &udp);
  if (!r) r = uv_udp_bind(&udp, (const struct sockaddr *)&addr, 0);
  if (!r) r = uv_udp_recv_start(&udp, give_buffer, echo);
  if (r) {
    fprintf(stderr, "echo_uv: 127.0.0.1:%d: %s\n", p, uv_strerror(r));
    return 1;
  }
  uv_signal_init(loop, &on_term);
  uv_signal_start(&on_term, stop, SIGTERM);
  uv_signal_init(loop, &on_int);
  uv_signal_start(&on_int, stop, SIGINT);
  fprintf(stderr, "echo_uv: listening on 127.0.0.1:%d (libuv %s)\n", p,
          uv_version_string());
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return 0;
}
