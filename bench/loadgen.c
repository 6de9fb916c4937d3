/*
 * bench/loadgen.c - the load generator of ludp's echo benchmark.
 *
 * It talks to one UDP echo server over loopback and nothing else: the
 * target must be in 127.0.0.0/8 or be ::1. Every mode stops by itself
 * (a count and a time cap, both bounded).
 *
 *   loadgen flood    -p PORT [-s SIZE] [-n COUNT] [-d SECS] [-w WINDOW] [-b BATCH]
 *                    [-t STALL_MS] [-W WARMUP] [-P PEERS] [-j] [-S] [-l LABEL]
 *   loadgen pingpong -p PORT[,PORT...] [-s SIZE] [-n COUNT] [-d SECS]
 *                    [-t TIMEOUT_MS] [-W WARMUP] [-g GAP_US] [-B]
 *                    [-l LABEL[,LABEL...]]
 *   loadgen probe    -p PORT [-d SECS]      exit 0 once the server echoes
 *   loadgen freeport                         print a free UDP port of 127.0.0.1
 *   (-H ADDR: the target address, default 127.0.0.1)
 *
 * flood: a connected socket sends datagrams in sendmmsg batches and reads
 * the echoes in recvmmsg batches, keeping at most WINDOW datagrams in
 * flight. The first 8 bytes of each datagram are its sequence number, so an
 * echo is matched to what was sent. When nothing comes back for STALL_MS,
 * whatever is in flight is counted lost; an echo that turns up later is
 * counted back ("late"). Written-off datagrams keep their place in the
 * window for one more STALL_MS (or until they come back), so that a server
 * that was only paused does not get a second window on top of the first
 * one, and drop it. pps = echoes / seconds. By default the client
 * busy-polls its own core (the server must not pay for waking it up); -S
 * makes it sleep in ppoll instead (for a machine with one core).
 *
 * -P PEERS: the datagrams come from PEERS source addresses in turn,
 * 127.0.0.2, 127.0.0.3 ... (loopback addresses, which Linux routes to lo
 * without any set-up), as a server that hears from many clients sees
 * them: one socket, bound to lo only (SO_BINDTODEVICE) on the wildcard
 * address so that it receives the replies to every peer, each datagram's
 * source chosen with IP_PKTINFO in the same full sendmmsg batches. Each
 * reply must come from the target and go to the peer its datagram came
 * from (IP_PKTINFO again): one that does not is counted "misrouted".
 *
 * -j: the JSON request/response workload (flood, and pingpong and probe
 * of a JSON server). Each datagram is a small JSON
 * request (an id, an operation, a user, eight numbers; -s is ignored) and
 * the reply may be any datagram holding the request's "id" (the server's
 * JSON answer, or the request itself from an echo server).
 *
 * pingpong: one datagram in flight, COUNT round trips, RTT percentiles. The
 * client sleeps in ppoll for the echo (what a real client does); -B makes it
 * spin instead. With several ports, the round trips go to each server in
 * turn (COUNT each, one line each): the servers are then measured over the
 * same seconds, which takes this VM's drift, ±30% on latency from one
 * second to the next, out of the comparison. The servers then share one
 * CPU: -g pauses after each round trip, so that what a server does after
 * its reply is over before the next server's request arrives.
 *
 * The result is one line of key=value pairs on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { SEQ_BYTES = 8, MIN_SIZE = SEQ_BYTES, MAX_SIZE = 65507, MAX_BATCH = 256 };
#define MAX_COUNT 200000000ULL /* datagrams or round trips per run */
#define MAX_SECS 120.0         /* time cap of any mode */

#define MAX_TARGETS 8  /* pingpong: servers measured in turn */
#define MAX_PEERS 4096 /* flood -P: source addresses 127.0.0.2 and up */

typedef struct {
  const char *mode, *host, *label;
  int port, size, busy, sleep_idle, json;
  unsigned peers;                  /* flood -P: 0 = one connected socket */
  int nports, ports[MAX_TARGETS];  /* pingpong: -p PORT,PORT... */
  const char *labels[MAX_TARGETS]; /* and -l LABEL,LABEL... */
  unsigned window, batch;
  unsigned long long count, warmup;
  double secs, stall_ms, gap_us;
} config;

static void fail (const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("loadgen: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(2);
}

static uint64_t clock_ns (void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void ns_to_timespec (uint64_t ns, struct timespec *ts) {
  ts->tv_sec = (time_t)(ns / 1000000000u);
  ts->tv_nsec = (long)(ns % 1000000000u);
}

/* The target, refused unless it is a loopback address. */
static socklen_t loopback_target (const config *c,
                                  struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, c->host, &v4->sin_addr) == 1) {
    if ((ntohl(v4->sin_addr.s_addr) & 0xff000000u) != 0x7f000000u)
      fail("%s is not a loopback address: only 127.0.0.0/8 and ::1 are allowed",
           c->host);
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)c->port);
    return sizeof *v4;
  }
  if (inet_pton(AF_INET6, c->host, &v6->sin6_addr) == 1) {
    if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr))
      fail("%s is not a loopback address: only 127.0.0.0/8 and ::1 are allowed",
           c->host);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)c->port);
    return sizeof *v6;
  }
  fail("-H wants a numeric loopback address (127.x.y.z or ::1), not '%s'",
       c->host);
  return 0;
}

static int connect_target (const config *c) {
  struct sockaddr_storage ss;
  socklen_t len = loopback_target(c, &ss);
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket: %s", strerror(errno));
  /* Large buffers on the client side, so that drops happen at the server. */
  int big = 8 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  if (connect(fd, (struct sockaddr *)&ss, len) != 0)
    fail("connect: %s", strerror(errno));
  return fd;
}

/* -P: one unconnected socket that sends as any 127.x address and
 * receives the replies to all of them. It is bound to the loopback
 * device, so that the wildcard address it needs for that takes nothing
 * from any other interface (unprivileged since Linux 5.7). */
static int peers_socket (const config *c) {
  struct sockaddr_storage ss;
  if (loopback_target(c, &ss) != sizeof(struct sockaddr_in))
    fail("-P needs an IPv4 target (127.x.y.z)");
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket: %s", strerror(errno));
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) != 0)
    fail("-P: cannot bind the socket to lo (SO_BINDTODEVICE: %s)",
         strerror(errno));
  int on = 1, big = 8 << 20;
  if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) != 0)
    fail("IP_PKTINFO: %s", strerror(errno));
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  struct sockaddr_in any = {.sin_family = AF_INET};
  if (bind(fd, (struct sockaddr *)&any, sizeof any) != 0)
    fail("bind: %s", strerror(errno));
  return fd;
}

/* Peer i's address: 127.0.0.2 + i. */
static struct in_addr peer_addr (uint64_t i) {
  struct in_addr a = {htonl(0x7f000002u + (uint32_t)i)};
  return a;
}

/* -j: the request; its id, 16 hex digits, is the sequence number. */
#define JSON_ID_KEY "\"id\":\""
static const char json_request[] =
  "{" JSON_ID_KEY "0000000000000000\",\"op\":\"stats\",\"user\":\"peer\","
  "\"values\":[12,7.5,3,25,18,4,9,30.25]}";
enum { JSON_ID_AT = 7, JSON_ID_DIGITS = 16 };

static void write_seq (const config *c, unsigned char *p, uint64_t seq) {
  if (c->json) {
    static const char hex[] = "0123456789abcdef";
    for (int i = JSON_ID_DIGITS - 1; i >= 0; i--, seq >>= 4)
      p[JSON_ID_AT + i] = (unsigned char)hex[seq & 15];
    return;
  }
  memcpy(p, &seq, SEQ_BYTES);
}

/* The datagram's sequence number; 0 (never sent) if it has none. */
static uint64_t read_seq (const config *c, const unsigned char *p, size_t len) {
  uint64_t seq = 0;
  if (c->json) {
    const unsigned char *k = memmem(p, len, JSON_ID_KEY, 6);
    if (k == NULL || (size_t)(p + len - k) < 6 + JSON_ID_DIGITS) return 0;
    for (int i = 0; i < JSON_ID_DIGITS; i++) {
      int ch = k[6 + i];
      int d = ch >= '0' && ch <= '9'   ? ch - '0'
              : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                                       : -1;
      if (d < 0) return 0;
      seq = seq << 4 | (uint64_t)d;
    }
    return seq;
  }
  if (len < SEQ_BYTES) return 0;
  memcpy(&seq, p, SEQ_BYTES);
  return seq;
}

static unsigned char *payloads (const config *c, size_t size, size_t n) {
  unsigned char *p = malloc(size * n);
  if (!p) fail("out of memory");
  for (size_t i = 0; i < size * n; i++)
    p[i] = c->json ? (unsigned char)json_request[i % size]
                   : (unsigned char)(' ' + i % 95);
  return p;
}

/* ------------------------------------------------------------------ flood */

typedef struct {
  uint64_t next_seq; /* sequence number of the next datagram sent */
  uint64_t sent,
    echoed;          /* datagrams sent / echoes matched (late ones included) */
  uint64_t inflight; /* sent, neither echoed nor written off */
  uint64_t ghosts;   /* written off, still holding a place in the window */
  uint64_t lost, late; /* written off and never seen again / seen after all */
  uint64_t stalls, stale, malformed, misrouted, refused, sendmmsg_calls,
    recvmmsg_calls;
  uint64_t idle_ns;
  double secs;
  int capped;
} flood_stats;

/* -P: a reply must come from the target and be addressed to the peer that
 * sent datagram 'seq'. */
static int reply_routed (const config *c, struct msghdr *h,
                         const struct sockaddr_in *target, uint64_t seq) {
  const struct sockaddr_in *src = h->msg_name;
  if (h->msg_namelen < sizeof *src || src->sin_port != target->sin_port ||
      src->sin_addr.s_addr != target->sin_addr.s_addr)
    return 0;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm))
    if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(cm), sizeof pi);
      return pi.ipi_addr.s_addr == peer_addr(seq % c->peers).s_addr;
    }
  return 0;
}

static void flood_phase (int fd, const config *c, uint64_t count,
                         flood_stats *st) {
  static struct mmsghdr out[MAX_BATCH], in[MAX_BATCH];
  static struct iovec out_iov[MAX_BATCH], in_iov[MAX_BATCH];
  /* -P: the target and each datagram's source (IP_PKTINFO) going out;
   * where each reply came from and went to coming in. */
  static struct sockaddr_in target, from[MAX_BATCH];
  static union {
    char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
    struct cmsghdr align;
  } out_ctl[MAX_BATCH], in_ctl[MAX_BATCH];
  const size_t size = (size_t)c->size;
  const unsigned batch = c->batch, window = c->window;
  /* Refill only once a quarter of the window (at most a batch) is free, so
   * that the client does not chase single echoes with single sends. */
  unsigned refill = window / 4 ? window / 4 : 1;
  if (refill > batch) refill = batch;
  unsigned char *tx = payloads(c, size, batch);
  unsigned char *rx = malloc((size_t)MAX_SIZE * batch);
  if (!rx) fail("out of memory");
  for (unsigned i = 0; i < batch; i++) {
    out_iov[i] = (struct iovec){tx + i * size, size};
    in_iov[i] = (struct iovec){rx + (size_t)i * MAX_SIZE, MAX_SIZE};
    out[i].msg_hdr = (struct msghdr){.msg_iov = &out_iov[i], .msg_iovlen = 1};
    in[i].msg_hdr = (struct msghdr){.msg_iov = &in_iov[i], .msg_iovlen = 1};
  }
  if (c->peers > 0) {
    struct sockaddr_storage ss;
    (void)loopback_target(c, &ss);
    memcpy(&target, &ss, sizeof target);
    for (unsigned i = 0; i < batch; i++) {
      struct msghdr *h = &out[i].msg_hdr;
      h->msg_name = &target;
      h->msg_namelen = sizeof target;
      h->msg_control = out_ctl[i].buf;
      h->msg_controllen = sizeof out_ctl[i].buf;
      struct cmsghdr *cm = CMSG_FIRSTHDR(h);
      cm->cmsg_level = IPPROTO_IP;
      cm->cmsg_type = IP_PKTINFO;
      cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    }
  }

  const uint64_t first_seq =
    st->next_seq; /* older echoes belong to a finished phase */
  uint64_t written_off_below =
    first_seq; /* echoes under this were counted lost */
  const uint64_t stall_ns = (uint64_t)(c->stall_ms * 1e6);
  const uint64_t start = clock_ns(),
                 deadline = start + (uint64_t)(c->secs * 1e9);
  uint64_t last_echo = start, last_event = start, end = start;

  while (st->sent < count || st->inflight > 0) {
    const uint64_t loop_start = clock_ns();
    if (loop_start >= deadline) {
      st->capped = 1;
      end = loop_start;
      break;
    }
    int busy = 0, blocked = 0;

    uint64_t held = st->inflight + st->ghosts;
    uint64_t room = window > held ? window - held : 0, todo = count - st->sent;
    uint64_t n_send = room < todo ? room : todo;
    if (n_send > batch) n_send = batch;
    if (n_send < refill && held > 0 && n_send < todo) n_send = 0;
    if (n_send > 0) {
      for (uint64_t i = 0; i < n_send; i++) {
        uint64_t seq = st->next_seq + i;
        write_seq(c, tx + i * size, seq);
        if (c->peers > 0) { /* datagram seq comes from peer seq % peers */
          struct in_pktinfo pi = {.ipi_spec_dst = peer_addr(seq % c->peers)};
          memcpy(CMSG_DATA(CMSG_FIRSTHDR(&out[i].msg_hdr)), &pi, sizeof pi);
        }
      }
      int n = sendmmsg(fd, out, (unsigned)n_send, MSG_DONTWAIT);
      if (n > 0) {
        st->sent += (uint64_t)n;
        st->inflight += (uint64_t)n;
        st->next_seq += (uint64_t)n;
        st->sendmmsg_calls++;
        busy = 1;
      }
      else if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
        blocked = 1;
      }
      else if (n < 0 && errno == ECONNREFUSED) {
        st->refused++;
      }
      else if (n < 0 && errno != EINTR) {
        fail("sendmmsg: %s", strerror(errno));
      }
    }

    if (c->peers > 0)
      for (unsigned i = 0; i < batch; i++) {
        in[i].msg_hdr.msg_name = &from[i];
        in[i].msg_hdr.msg_namelen = sizeof from[i];
        in[i].msg_hdr.msg_control = in_ctl[i].buf;
        in[i].msg_hdr.msg_controllen = sizeof in_ctl[i].buf;
      }
    int got = recvmmsg(fd, in, batch, MSG_DONTWAIT, NULL);
    if (got > 0) {
      st->recvmmsg_calls++;
      for (int i = 0; i < got; i++) {
        if ((!c->json && in[i].msg_len != size) ||
            (in[i].msg_hdr.msg_flags & MSG_TRUNC)) {
          st->malformed++;
          continue;
        }
        uint64_t seq = read_seq(c, in_iov[i].iov_base, in[i].msg_len);
        if (seq == 0) {
          st->malformed++;
          continue;
        }
        if (c->peers > 0 && !reply_routed(c, &in[i].msg_hdr, &target, seq)) {
          st->misrouted++;
          continue;
        }
        if (seq < first_seq || seq >= st->next_seq) {
          st->stale++;
        }
        else if (seq < written_off_below && st->lost > 0) {
          st->lost--;
          st->late++;
          st->echoed++;
          if (st->ghosts > 0) st->ghosts--;
        }
        else if (st->inflight > 0) {
          st->inflight--;
          st->echoed++;
        }
      }
      last_echo = last_event = clock_ns();
      busy = 1;
    }
    else if (got < 0 && errno == ECONNREFUSED) {
      st->refused++;
    }
    else if (got < 0 && errno != EAGAIN && errno != EINTR) {
      fail("recvmmsg: %s", strerror(errno));
    }

    if (busy) continue;
    uint64_t now = clock_ns();
    if (c->sleep_idle) {
      uint64_t wait = deadline - (now < deadline ? now : deadline);
      if (st->inflight > 0 || st->ghosts > 0) {
        uint64_t quiet = now - last_event;
        uint64_t until_stall = quiet < stall_ns ? stall_ns - quiet : 0;
        if (until_stall < wait) wait = until_stall;
      }
      if (wait > 0) {
        struct pollfd pfd = {fd, (short)(POLLIN | (blocked ? POLLOUT : 0)), 0};
        struct timespec ts;
        ns_to_timespec(wait, &ts);
        (void)ppoll(&pfd, 1, &ts, NULL);
      }
      now = clock_ns();
    }
    st->idle_ns += now - loop_start;
    if (now - last_event >= stall_ns) {
      if (st->inflight > 0) { /* nothing for STALL_MS: written off */
        st->lost += st->inflight;
        st->ghosts += st->inflight;
        st->inflight = 0;
        st->stalls++;
        written_off_below = st->next_seq;
      }
      else {
        st->ghosts = 0; /* and nothing for another STALL_MS: gone */
      }
      last_event = now;
    }
  }
  if (!st->capped) end = last_echo;
  st->secs = (double)(end - start) / 1e9;
  free(tx);
  free(rx);
}

static int flood (const config *c) {
  int fd = c->peers > 0 ? peers_socket(c) : connect_target(c);
  flood_stats st = {.next_seq = 1};
  if (c->warmup > 0) flood_phase(fd, c, c->warmup, &st); /* not reported */
  uint64_t base = st.next_seq;
  st = (flood_stats){.next_seq = base};
  flood_phase(fd, c, c->count, &st);
  close(fd);
  double pps = st.secs > 0 ? (double)st.echoed / st.secs : 0;
  uint64_t settled = st.sent -
                     st.inflight; /* in flight at the time cap: not lost */
  printf("flood label=%s size=%d peers=%u json=%d window=%u batch=%u sent=%llu "
         "echoed=%llu lost=%llu "
         "loss_pct=%.4f late=%llu inflight_at_end=%llu stalls=%llu stale=%llu "
         "malformed=%llu misrouted=%llu "
         "refused=%llu secs=%.3f pps=%.0f mbit_s=%.1f per_sendmmsg=%.1f "
         "per_recvmmsg=%.1f "
         "capped=%d idle_pct=%.0f\n",
         c->label, c->size, c->peers ? c->peers : 1, c->json, c->window,
         c->batch, (unsigned long long)st.sent, (unsigned long long)st.echoed,
         (unsigned long long)st.lost,
         settled ? 100.0 * (double)st.lost / (double)settled : 0.0,
         (unsigned long long)st.late, (unsigned long long)st.inflight,
         (unsigned long long)st.stalls, (unsigned long long)st.stale,
         (unsigned long long)st.malformed, (unsigned long long)st.misrouted,
         (unsigned long long)st.refused, st.secs, pps, pps * c->size * 8 / 1e6,
         st.sendmmsg_calls ? (double)st.sent / (double)st.sendmmsg_calls : 0.0,
         st.recvmmsg_calls ? (double)st.echoed / (double)st.recvmmsg_calls
                           : 0.0,
         st.capped,
         st.secs > 0 ? 100.0 * (double)st.idle_ns / 1e9 / st.secs : 0.0);
  return st.echoed > 0 ? 0 : 1;
}

/* --------------------------------------------------------------- pingpong */

/* Sends one datagram and waits for its echo: the RTT in ns, 0 if none came
 * back within timeout_ns. */
static uint64_t one_round_trip (int fd, const config *c, unsigned char *tx,
                                unsigned char *rx, uint64_t seq,
                                uint64_t timeout_ns) {
  write_seq(c, tx, seq);
  const uint64_t t0 = clock_ns();
  for (;;) {
    ssize_t n = send(fd, tx, (size_t)c->size, 0);
    if (n == c->size) break;
    if (n < 0 && (errno == EAGAIN || errno == EINTR || errno == ENOBUFS))
      continue;
    if (n < 0 && errno == ECONNREFUSED) return 0;
    fail("send: %s", n < 0 ? strerror(errno) : "short write");
  }
  for (;;) {
    uint64_t now = clock_ns();
    if (now - t0 >= timeout_ns) return 0;
    if (!c->busy) {
      struct pollfd pfd = {fd, POLLIN, 0};
      struct timespec ts;
      ns_to_timespec(timeout_ns - (now - t0), &ts);
      if (ppoll(&pfd, 1, &ts, NULL) <= 0) continue;
    }
    ssize_t n = recv(fd, rx, MAX_SIZE, MSG_DONTWAIT);
    uint64_t t1 = clock_ns();
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      if (errno == ECONNREFUSED) return 0;
      fail("recv: %s", strerror(errno));
    }
    if ((c->json || n == c->size) && read_seq(c, rx, (size_t)n) == seq)
      return t1 > t0 ? t1 - t0 : 1;
    /* an echo from an earlier, timed-out round trip: keep waiting */
  }
}

/* Sleeps 'us' microseconds: the gap between two round trips, in which the
 * server finishes what it does after its reply (and, with several servers
 * on one CPU, it is not charged to the next one's round trip). */
static void pause_us (double us) {
  struct timespec ts;
  ns_to_timespec((uint64_t)(us * 1e3), &ts);
  while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
  }
}

static int by_value (const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static double percentile_us (const uint64_t *sorted, uint64_t n, double p) {
  if (n == 0) return 0;
  uint64_t rank = (uint64_t)(p * (double)n); /* nearest rank, 1-based */
  if ((double)rank < p * (double)n) rank++;
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return (double)sorted[rank - 1] / 1e3;
}

static int pingpong (const config *c) {
  const int k = c->nports;
  int fd[MAX_TARGETS];
  uint64_t *rtt[MAX_TARGETS], ok[MAX_TARGETS], lost[MAX_TARGETS],
    sum[MAX_TARGETS];
  unsigned char *tx = payloads(c, (size_t)c->size, 1), *rx = malloc(MAX_SIZE);
  if (!rx) fail("out of memory");
  for (int j = 0; j < k; j++) {
    config one = *c;
    one.port = c->ports[j];
    fd[j] = connect_target(&one);
    rtt[j] = malloc(sizeof *rtt[j] * (c->count ? c->count : 1));
    if (!rtt[j]) fail("out of memory");
    ok[j] = lost[j] = sum[j] = 0;
  }
  const uint64_t timeout_ns = (uint64_t)(c->stall_ms * 1e6);
  const uint64_t start = clock_ns(),
                 deadline = start + (uint64_t)(c->secs * 1e9);
  uint64_t seq = 1;
  int capped = 0;
  for (uint64_t i = 0; i < c->warmup && clock_ns() < deadline; i++)
    for (int j = 0; j < k; j++)
      (void)one_round_trip(fd[j], c, tx, rx, seq++, timeout_ns);
  const uint64_t t_measure = clock_ns();
  for (uint64_t i = 0; i < c->count && !capped; i++) {
    for (int j = 0; j < k; j++) { /* each server in turn */
      if (clock_ns() >= deadline) {
        capped = 1;
        break;
      }
      uint64_t d = one_round_trip(fd[j], c, tx, rx, seq++, timeout_ns);
      if (d == 0) {
        lost[j]++;
      }
      else {
        rtt[j][ok[j]++] = d;
        sum[j] += d;
      }
      if (c->gap_us > 0) pause_us(c->gap_us);
    }
  }
  double secs = (double)(clock_ns() - t_measure) / 1e9;
  int status = 0;
  for (int j = 0; j < k; j++) {
    uint64_t n = ok[j];
    close(fd[j]);
    qsort(rtt[j], n, sizeof *rtt[j], by_value);
    printf("pingpong label=%s size=%d busy=%d ok=%llu lost=%llu secs=%.3f "
           "min_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f "
           "max_us=%.1f mean_us=%.1f capped=%d interleaved=%d\n",
           c->labels[j], c->size, c->busy, (unsigned long long)n,
           (unsigned long long)lost[j], secs, n ? (double)rtt[j][0] / 1e3 : 0.0,
           percentile_us(rtt[j], n, 0.50), percentile_us(rtt[j], n, 0.90),
           percentile_us(rtt[j], n, 0.99), percentile_us(rtt[j], n, 0.999),
           n ? (double)rtt[j][n - 1] / 1e3 : 0.0,
           n ? (double)sum[j] / (double)n / 1e3 : 0.0, capped, k);
    if (n == 0) status = 1;
    free(rtt[j]);
  }
  free(tx);
  free(rx);
  return status;
}

/* ------------------------------------------------------- probe, freeport */

static int probe (const config *c) {
  int fd = connect_target(c);
  unsigned char *tx = payloads(c, (size_t)c->size, 1), *rx = malloc(MAX_SIZE);
  if (!rx) fail("out of memory");
  const uint64_t start = clock_ns(),
                 deadline = start + (uint64_t)(c->secs * 1e9);
  uint64_t seq = 1;
  while (clock_ns() <
         deadline) { /* one datagram per millisecond until an echo */
    if (one_round_trip(fd, c, tx, rx, seq++, 1000000) > 0) {
      printf("probe label=%s ok=1 ms=%.1f\n", c->label,
             (double)(clock_ns() - start) / 1e6);
      return 0;
    }
  }
  printf("probe label=%s ok=0 ms=%.1f\n", c->label,
         (double)(clock_ns() - start) / 1e6);
  return 1;
}

static int freeport (void) {
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sa;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
    fail("freeport: %s", strerror(errno));
  printf("%d\n", ntohs(sa.sin_port));
  close(fd);
  return 0;
}

/* ------------------------------------------------------------------- main */

static void usage (FILE *f) {
  fputs(
    "usage: loadgen flood|pingpong|probe|freeport [options]\n"
    "  -H ADDR    target, 127.0.0.0/8 or ::1 only (default 127.0.0.1)\n"
    "  -p PORT    target port; pingpong: PORT,PORT... takes turns (at most 8)\n"
    "  -s SIZE    payload bytes, 8..65507 (default 64)\n"
    "  -n COUNT   flood: datagrams (default 50000000); pingpong: round trips "
    "(10000)\n"
    "  -d SECS    time cap, at most 120 (flood 2, pingpong 5, probe 10)\n"
    "  -w WINDOW  flood: datagrams in flight at most (default 256)\n"
    "  -b BATCH   flood: datagrams per sendmmsg/recvmmsg, at most 256 (default "
    "64)\n"
    "  -t MS      flood: in flight with no echo for MS is lost (default 50);\n"
    "             pingpong: a round trip's timeout (default 200)\n"
    "  -W COUNT   warm-up datagrams / round trips, not reported (default 0 / "
    "1000)\n"
    "  -P PEERS   flood: send from PEERS source addresses, 127.0.0.2 and up,\n"
    "             in turn (at most 4096; IPv4 target)\n"
    "  -j         JSON requests (an id, eight numbers); a reply is any\n"
    "             datagram holding the request's id (-s is ignored)\n"
    "  -S         flood: sleep in ppoll when idle instead of busy-polling\n"
    "  -B         pingpong: busy-poll for the echo instead of sleeping\n"
    "  -g US      pingpong: a pause of US microseconds after each round trip\n"
    "  -l LABEL   printed in the result line (pingpong: LABEL,LABEL...)\n",
    f);
}

static double number (const char *opt, const char *s, double lo, double hi) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || v < lo || v > hi)
    fail("%s wants a number in %g..%g, not '%s'", opt, lo, hi, s);
  return v;
}

/* -p PORT[,PORT...] and -l LABEL[,LABEL...]: several for pingpong only;
 * a missing label is the port's number. */
static void split_list (config *c, const char *ports, int many) {
  static char lbuf[1024], pbuf[16 * MAX_TARGETS], names[MAX_TARGETS][8];
  char *save = NULL, *t;
  if (strlen(ports) >= sizeof pbuf || strlen(c->label) >= sizeof lbuf)
    fail("-p or -l is too long");
  strcpy(pbuf, ports);
  strcpy(lbuf, c->label);
  c->nports = 0;
  for (t = strtok_r(pbuf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (c->nports == (many ? MAX_TARGETS : 1))
      fail(many ? "-p takes at most %d ports" : "-p takes one port here",
           MAX_TARGETS);
    c->ports[c->nports++] = (int)number("-p", t, 1, 65535);
  }
  if (c->nports == 0) fail("-p PORT is required");
  c->port = c->ports[0];
  int n = 0;
  save = NULL;
  for (t = strtok_r(lbuf, ",", &save); t && n < c->nports;
       t = strtok_r(NULL, ",", &save))
    c->labels[n++] = t;
  for (; n < c->nports; n++) {
    snprintf(names[n], sizeof names[n], "%d", c->ports[n]);
    c->labels[n] = c->nports == 1 ? c->label : names[n];
  }
}

int main (int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  config c = {.mode = argv[1],
              .host = "127.0.0.1",
              .label = "-",
              .size = 64,
              .window = 256,
              .batch = 64};
  int is_flood = !strcmp(c.mode, "flood"),
      is_ping = !strcmp(c.mode, "pingpong");
  if (!is_flood && !is_ping && strcmp(c.mode, "probe") &&
      strcmp(c.mode, "freeport")) {
    usage(stderr);
    return 2;
  }
  c.count = is_flood ? 50000000 : 10000;
  c.secs = is_flood ? 2 : is_ping ? 5 : 10;
  c.stall_ms = is_flood ? 50 : 200;
  c.warmup = is_ping ? 1000 : 0;
  const char *ports = NULL;
  for (int i = 2; i < argc; i++) {
    const char *o = argv[i];
    if (!strcmp(o, "-S")) {
      c.sleep_idle = 1;
      continue;
    }
    if (!strcmp(o, "-j")) {
      c.json = 1;
      continue;
    }
    if (!strcmp(o, "-B")) {
      c.busy = 1;
      continue;
    }
    if (!strcmp(o, "-h")) {
      usage(stdout);
      return 0;
    }
    if (o[0] != '-' || !o[1] || o[2] || i + 1 >= argc) {
      usage(stderr);
      return 2;
    }
    const char *v = argv[++i];
    switch (o[1]) {
      case 'H':
        c.host = v;
        break;
      case 'l':
        c.label = v;
        break;
      case 'p':
        ports = v;
        break;
      case 's':
        c.size = (int)number(o, v, MIN_SIZE, MAX_SIZE);
        break;
      case 'n':
        c.count = (unsigned long long)number(o, v, 1, (double)MAX_COUNT);
        break;
      case 'd':
        c.secs = number(o, v, 0.001, MAX_SECS);
        break;
      case 'w':
        c.window = (unsigned)number(o, v, 1, 1000000);
        break;
      case 'b':
        c.batch = (unsigned)number(o, v, 1, MAX_BATCH);
        break;
      case 't':
        c.stall_ms = number(o, v, 0.1, 10000);
        break;
      case 'g':
        c.gap_us = number(o, v, 0, 1000000);
        break;
      case 'P':
        c.peers = (unsigned)number(o, v, 1, MAX_PEERS);
        break;
      case 'W':
        c.warmup = (unsigned long long)number(o, v, 0, (double)MAX_COUNT);
        break;
      default:
        usage(stderr);
        return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (!strcmp(c.mode, "freeport")) return freeport();
  if (ports == NULL) fail("-p PORT is required");
  split_list(&c, ports, is_ping);
  if (!is_flood && c.peers) fail("-P is for flood only");
  if (c.json) c.size = (int)strlen(json_request);
  if (is_flood) return flood(&c);
  if (is_ping) return pingpong(&c);
  return probe(&c);
}
