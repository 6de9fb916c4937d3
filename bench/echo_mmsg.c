/*
 * bench/echo_mmsg.c - the echo server as fast as plain C makes it on one
 * core: the "mmsg-c" row of bench/run, the ceiling the others are read
 * against.
 *
 *   echo_mmsg PORT        (else $PORT) - binds 127.0.0.1:PORT
 *
 * No event loop: one blocking recvmmsg takes up to 64 datagrams (what the
 * kernel reads in one call is the batch; 64 is ludp's batch too), and one
 * sendmmsg sends them back from the same buffers to their senders, each
 * reply its own message. Nothing is allocated after start-up. A reply the
 * kernel refuses (a peer gone: ECONNREFUSED) is counted and skipped.
 * SIGTERM or SIGINT interrupts the blocking read, prints the counters on
 * stderr and exits 0.
 *
 * ECHO_MMSG_MODE measures what an event loop costs the same calls
 * (bench/epoll_cost.sh): "block" (the default, the above), "registered"
 * (the same, with the socket in an epoll set nobody waits on), "loop"
 * (non-blocking, epoll_wait when recvmmsg finds nothing: what libuv
 * does) and "quiet" ("loop", with the socket out of the set while the
 * replies leave: what ludp does, src/udp_quiet.c).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BATCH = 64, DGRAM_MAX = 65536 };

static volatile sig_atomic_t stopping;
static void on_signal (int sig) {
  (void)sig;
  stopping = 1;
}

static char buffers[BATCH][DGRAM_MAX];
static struct mmsghdr msgs[BATCH];
static struct iovec iov[BATCH];
static struct sockaddr_in peers[BATCH];

int main (int argc, char **argv) {
  const char *port_s = argc > 1 ? argv[argc - 1] : getenv("PORT");
  char *end = NULL;
  long port = port_s ? strtol(port_s, &end, 10) : 0;
  if (port_s == NULL || *end != '\0' || port < 1 || port > 65535) {
    fputs("usage: echo_mmsg PORT\n", stderr);
    return 2;
  }
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    fprintf(stderr, "echo_mmsg: 127.0.0.1:%ld: %s\n", port, strerror(errno));
    return 1;
  }
  const char *mode = getenv("ECHO_MMSG_MODE") ? getenv("ECHO_MMSG_MODE")
                                              : "block";
  int loop = !strcmp(mode, "loop") || !strcmp(mode, "quiet");
  int quiet = !strcmp(mode, "quiet"), ep = -1;
  struct epoll_event in = {.events = EPOLLIN, .data.fd = fd};
  if (strcmp(mode, "block") != 0) {
    if (!loop && strcmp(mode, "registered") != 0) {
      fprintf(stderr,
              "echo_mmsg: ECHO_MMSG_MODE: block, registered, loop or quiet\n");
      return 2;
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &in) != 0 ||
        (loop && fcntl(fd, F_SETFL, O_NONBLOCK) != 0)) {
      perror("echo_mmsg: epoll");
      return 1;
    }
  }
  /* No SA_RESTART: a signal ends the blocking recvmmsg with EINTR. */
  struct sigaction act = {.sa_handler = on_signal};
  sigaction(SIGTERM, &act, NULL);
  sigaction(SIGINT, &act, NULL);
  fprintf(stderr, "echo_mmsg: listening on 127.0.0.1:%ld, batches of %d, %s\n",
          port, BATCH, mode);

  unsigned long long received = 0, sent = 0, recv_calls = 0, send_calls = 0,
                     refused = 0;
  while (!stopping) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){buffers[i], DGRAM_MAX};
      msgs[i].msg_hdr = (struct msghdr){.msg_name = &peers[i],
                                        .msg_namelen = sizeof peers[i],
                                        .msg_iov = &iov[i],
                                        .msg_iovlen = 1};
    }
    int n = recvmmsg(fd, msgs, BATCH, loop ? MSG_DONTWAIT : MSG_WAITFORONE,
                     NULL);
    if (n < 0) {
      struct epoll_event ev;
      if (errno == EINTR) continue;
      if (loop && errno == EAGAIN) { /* empty: wait, as an event loop */
        if (epoll_wait(ep, &ev, 1, -1) < 0 && errno != EINTR) {
          perror("echo_mmsg: epoll_wait");
          return 1;
        }
        continue;
      }
      perror("echo_mmsg: recvmmsg");
      return 1;
    }
    recv_calls++;
    received += (unsigned)n;
    for (int i = 0; i < n; i++)
      iov[i].iov_len = msgs[i].msg_len;
    if (quiet) epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    for (int off = 0; off < n;) { /* the same headers, back to each sender */
      int m = sendmmsg(fd, msgs + off, (unsigned)(n - off), 0);
      if (m < 0) {
        if (errno == EINTR) continue;
        refused++;
        off++;
        continue;
      }
      send_calls++;
      sent += (unsigned)m;
      off += m;
    }
    if (quiet && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &in) != 0) {
      perror("echo_mmsg: epoll_ctl");
      return 1;
    }
  }
  fprintf(stderr,
          "echo_mmsg: signal: received=%llu sent=%llu recvmmsg=%llu "
          "sendmmsg=%llu refused=%llu\n",
          received, sent, recv_calls, send_calls, refused);
  close(fd);
  return 0;
}
