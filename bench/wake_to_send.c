/*
 * bench/wake_to_send.c - how long an echo server takes from waking up to
 * sending its reply, for a lone datagram: the part of a round trip that
 * the server's own code decides.
 *
 *   cc -O2 -shared -fPIC -o bench/bin/wake_to_send.so bench/wake_to_send.c -ldl
 *   LD_PRELOAD=bench/bin/wake_to_send.so build/ludp examples/echo.lua PORT
 *   ... bench/bin/loadgen pingpong -p PORT ..., then SIGTERM the server
 *
 * Preloaded into a server on libuv (ludp, bench/echo_uv), it notes the time
 * when epoll_wait returns with events, and the time of the next sendmsg,
 * or sendmmsg of one datagram, and prints the percentiles of the
 * difference on stderr when the server exits. Without a PMU on this VM,
 * that is the figure which says how much of ludp's round trip is its own
 * work (the receive, the Lua call, the caches it touches after sleeping)
 * rather than the kernel's or the wake-ups'.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#define BINS 400 /* of 50 ns: up to 20 us, the rest in the last bin */

static unsigned long long woke, count, bins[BINS];

static unsigned long long now_ns (void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long long)ts.tv_sec * 1000000000u +
         (unsigned long long)ts.tv_nsec;
}

static void note_send (void) {
  if (woke != 0) {
    unsigned long long bin = (now_ns() - woke) / 50;
    bins[bin < BINS - 1 ? bin : BINS - 1]++;
    count++;
    woke = 0;
  }
}

int epoll_wait (int ep, struct epoll_event *ev, int n, int timeout) {
  static int (*real)(int, struct epoll_event *, int, int);
  if (!real) real = (int (*)(int, struct epoll_event *, int, int))dlsym(
               RTLD_NEXT, "epoll_wait");
  int r = real(ep, ev, n, timeout);
  woke = timeout != 0 && r > 0 ? now_ns() : 0; /* a wake-up, not a poll */
  return r;
}

int epoll_pwait (int ep, struct epoll_event *ev, int n, int timeout,
                 const sigset_t *mask) {
  static int (*real)(int, struct epoll_event *, int, int, const sigset_t *);
  if (!real)
    real = (int (*)(int, struct epoll_event *, int, int,
                    const sigset_t *))dlsym(RTLD_NEXT, "epoll_pwait");
  int r = real(ep, ev, n, timeout, mask);
  woke = timeout != 0 && r > 0 ? now_ns() : 0;
  return r;
}

ssize_t sendmsg (int fd, const struct msghdr *m, int flags) {
  static ssize_t (*real)(int, const struct msghdr *, int);
  if (!real)
    real = (ssize_t (*)(int, const struct msghdr *, int))dlsym(RTLD_NEXT,
                                                               "sendmsg");
  note_send();
  return real(fd, m, flags);
}

int sendmmsg (int fd, struct mmsghdr *v, unsigned n, int flags) {
  static int (*real)(int, struct mmsghdr *, unsigned, int);
  if (!real)
    real =
      (int (*)(int, struct mmsghdr *, unsigned, int))dlsym(RTLD_NEXT,
                                                           "sendmmsg");
  if (n == 1)
    note_send();
  else
    woke = 0; /* a batch: not a lone datagram's reply */
  return real(fd, v, n, flags);
}

__attribute__((destructor)) static void report (void) {
  static const double at[] = {0.50, 0.90, 0.99};
  double us[3] = {0, 0, 0};
  unsigned long long seen = 0;
  int b, k = 0;
  for (b = 0; b < BINS && k < 3; b++) {
    seen += bins[b];
    while (k < 3 && count > 0 && (double)seen >= at[k] * (double)count)
      us[k++] = (b + 1) * 0.05; /* the bin's upper edge */
  }
  fprintf(stderr,
          "wake_to_send n=%llu p50_us=%.2f p90_us=%.2f p99_us=%.2f\n", count,
          us[0], us[1], us[2]);
}
