/*
** workers.c
** ludp --workers N: the supervisor. Forks N workers before any Lua state
** or loop exists (each then runs the script as a plain ludp would) and
** stays a small C process: restarts a worker that dies of a signal or a
** non-zero status, after a delay that grows with its failures in a row,
** and gives up (status 1) when one fails again and again before it is
** ready; forwards SIGTERM and SIGINT (then stops) and SIGHUP (a reload:
** a worker it ends is started again at once); exits once every worker has
** stopped. Readiness: each worker's $NOTIFY_SOCKET is the supervisor's
** own socket, and the supervisor reports READY=1 to systemd once every
** worker has, STOPPING=1 when it starts to stop.
*/

#define _GNU_SOURCE /* struct ucred, memfd_create */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ludp.h"

/* The restart schedule (docs/production.md): the first restart after
** 100 ms, doubling with each failure in a row up to 5 s; a worker that ran
** 10 s clears its slot's count. GIVE_UP failures in a row before the
** worker said it was ready end the supervisor. */
#define FIRST_DELAY_MS 100
#define MAX_DELAY_MS 5000
#define STABLE_MS 10000
#define GIVE_UP 5

typedef struct worker {
  pid_t pid;       /* 0: not running */
  int done;        /* ended for good */
  int ready;       /* sent READY=1 since it started */
  int fails;       /* failures in a row */
  int early;       /* failures in a row before READY=1 */
  int hupped;      /* was sent SIGHUP */
  long long start; /* when it started (ms) */
  long long due;   /* when to start it again (ms), or 0 */
} worker;

typedef struct supervisor {
  worker *w;
  int n;
  int sigfd, notifyfd;
  sigset_t oldmask;
  const char *script; /* stdin's bytes when it is the script, or NULL */
  size_t script_len;
  char *upstream;     /* systemd's $NOTIFY_SOCKET, or NULL */
  int stopping;       /* stopping: the first signal forwarded, or 0 */
  unsigned forwarded; /* the signals forwarded (bits) */
  int status;         /* the first failure's status, or 0 */
  int told_ready, told_stopping;
} supervisor;

static long long now_ms (void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------- the worker */

/* stdin, when it is the script: a fresh memfd with its bytes, so every
** worker (a restarted one too) reads the whole script from the start. */
static int give_stdin (supervisor *s) {
  size_t off = 0;
  int fd = memfd_create("ludp-stdin", 0);
  if (fd < 0) return -1;
  while (off < s->script_len) {
    ssize_t k = write(fd, s->script + off, s->script_len - off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    off += (size_t)k;
  }
  if (lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, 0) != 0) return -1;
  close(fd);
  return 0;
}

/* In the child after fork: dies with the supervisor (PDEATHSIG, and the
** check after it for a supervisor already gone), drops the supervisor's
** descriptors and signal mask. */
static void become_worker (supervisor *s, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(1);
  close(s->sigfd);
  close(s->notifyfd);
  sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
  if (s->script && give_stdin(s) != 0) {
    fprintf(stderr, "ludp: worker: cannot hand it the script: %s\n",
            strerror(errno));
    _exit(1);
  }
}

/* Forks worker i. Returns 1 in the child, 0 in the supervisor. */
static int start (supervisor *s, int i) {
  worker *w = &s->w[i];
  pid_t parent = getpid();
  pid_t pid;
  fflush(NULL);
  pid = fork();
  if (pid == 0) {
    become_worker(s, parent);
    return 1;
  }
  w->due = 0;
  w->ready = 0;
  w->hupped = 0;
  if (pid < 0) { /* tried again as a failure that came at once */
    fprintf(stderr, "ludp: cannot start worker %d: %s\n", i + 1,
            strerror(errno));
    w->pid = 0;
    w->early++;
    w->due = now_ms() + MAX_DELAY_MS;
    return 0;
  }
  w->pid = pid;
  w->start = now_ms();
  return 0;
}

/* ------------------------------------------------------------- readiness */

/* Our own socket for the workers' notifications: an autobound abstract
** name, with the sender's credentials on each datagram. Sets the
** workers' NOTIFY_SOCKET and keeps systemd's. Returns 0 or -1. */
static int open_notify (supervisor *s) {
  struct sockaddr_un sa;
  socklen_t len = sizeof(sa_family_t);
  int on = 1;
  char name[sizeof(sa.sun_path) + 1];
  const char *up = getenv("NOTIFY_SOCKET");
  s->notifyfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s->notifyfd < 0) return -1;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  if (bind(s->notifyfd, (struct sockaddr *)&sa, len) != 0) return -1;
  len = sizeof(sa);
  if (getsockname(s->notifyfd, (struct sockaddr *)&sa, &len) != 0) return -1;
  if (setsockopt(s->notifyfd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0)
    return -1;
  len -= (socklen_t)offsetof(struct sockaddr_un, sun_path);
  if (len < 2 || sa.sun_path[0] != '\0') return -1;
  name[0] = '@';
  memcpy(name + 1, sa.sun_path + 1, len - 1);
  name[len] = '\0';
  if (up && up[0]) {
    s->upstream = strdup(up);
    if (s->upstream == NULL) return -1;
  }
  return setenv("NOTIFY_SOCKET", name, 1);
}

static void tell_systemd (supervisor *s, const char *state) {
  if (s->upstream) ludp_notify_to(s->upstream, state);
}

static void tell_stopping (supervisor *s) {
  if (!s->told_stopping) tell_systemd(s, "STOPPING=1");
  s->told_stopping = 1;
}

/* A worker's notification: READY=1 marks it ready; once all are, systemd
** hears READY=1 (once). */
static void on_notify (supervisor *s) {
  char buf[256];
  char cbuf[CMSG_SPACE(sizeof(struct ucred))];
  for (;;) {
    struct iovec iov = {buf, sizeof(buf) - 1};
    struct msghdr mh;
    struct cmsghdr *c;
    pid_t from = 0;
    ssize_t k;
    int i, all = 1;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof(cbuf);
    k = recvmsg(s->notifyfd, &mh, MSG_DONTWAIT);
    if (k < 0) return;
    buf[k] = '\0';
    for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        struct ucred cr;
        memcpy(&cr, CMSG_DATA(c), sizeof(cr));
        from = cr.pid;
      }
    if (strstr(buf, "READY=1") == NULL || from <= 0) continue;
    for (i = 0; i < s->n; i++)
      if (s->w[i].pid == from) {
        s->w[i].ready = 1;
        s->w[i].early = 0;
      }
    for (i = 0; i < s->n; i++)
      if (!s->w[i].done && !s->w[i].ready) all = 0;
    if (all && !s->told_ready && !s->stopping) {
      s->told_ready = 1;
      tell_systemd(s, "READY=1");
    }
  }
}

/* ------------------------------------------------------------ supervising */

static void stop_all (supervisor *s, int sig) {
  int i;
  tell_stopping(s);
  if (!s->stopping) s->stopping = sig;
  s->forwarded |= 1u << sig;
  for (i = 0; i < s->n; i++) {
    s->w[i].due = 0;
    if (s->w[i].pid > 0)
      kill(s->w[i].pid, sig);
    else
      s->w[i].done = 1;
  }
}

/* SIGHUP: forwarded; a worker without a listener for it ends, and is
** started again at once (a reload of the script). */
static void reload (supervisor *s) {
  int i;
  for (i = 0; i < s->n; i++)
    if (s->w[i].pid > 0) {
      s->w[i].hupped = 1;
      kill(s->w[i].pid, SIGHUP);
    }
}

/* Worker i ended with wait status 'st'. */
static void on_exit_of (supervisor *s, int i, int st) {
  worker *w = &s->w[i];
  long pid = (long)w->pid;
  long long t = now_ms();
  int code = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
  long long delay;
  w->pid = 0;
  if (s->stopping) { /* a signal we forwarded is a clean end */
    if (WIFSIGNALED(st) && (s->forwarded & (1u << WTERMSIG(st)))) code = 0;
    if (code != 0 && s->status == 0) s->status = code;
    w->done = 1;
    return;
  }
  if (code == 0) { /* ended by itself: not restarted */
    w->done = 1;
    return;
  }
  if (WIFSIGNALED(st) && WTERMSIG(st) == SIGHUP && w->hupped) {
    fprintf(stderr,
            "ludp: worker %d (pid %ld) ended by SIGHUP; restarting it\n", i + 1,
            pid);
    w->due = t;
    return;
  }
  if (t - w->start >= STABLE_MS) w->fails = 0;
  w->fails++;
  if (!w->ready) w->early++;
  if (WIFSIGNALED(st))
    fprintf(stderr, "ludp: worker %d (pid %ld) killed by signal %d", i + 1, pid,
            WTERMSIG(st));
  else
    fprintf(stderr, "ludp: worker %d (pid %ld) exited with status %d", i + 1,
            pid, code);
  if (w->early >= GIVE_UP) {
    fprintf(stderr, ", %d times in a row before it was ready: giving up\n",
            w->early);
    w->done = 1;
    stop_all(s, SIGTERM);
    s->status = 1;
    return;
  }
  delay = (long long)FIRST_DELAY_MS << (w->fails - 1 < 6 ? w->fails - 1 : 6);
  if (delay > MAX_DELAY_MS) delay = MAX_DELAY_MS;
  fprintf(stderr, "; restarting it in %lld ms\n", delay);
  w->due = t + delay;
}

static void reap (supervisor *s) {
  for (;;) {
    int st, i;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) return;
    for (i = 0; i < s->n; i++)
      if (s->w[i].pid == pid) on_exit_of(s, i, st);
  }
}

static int all_done (supervisor *s) {
  int i;
  for (i = 0; i < s->n; i++)
    if (!s->w[i].done) return 0;
  return 1;
}

/* The supervisor's loop. Returns the worker id in a forked worker, 0
** once every worker has stopped. */
static int supervise (supervisor *s) {
  int i;
  for (i = 0; i < s->n; i++)
    if (start(s, i)) return i + 1;
  while (!all_done(s)) {
    struct pollfd pf[2] = {{s->sigfd, POLLIN, 0}, {s->notifyfd, POLLIN, 0}};
    long long t = now_ms(), next = -1;
    for (i = 0; i < s->n; i++) {
      worker *w = &s->w[i];
      if (w->due == 0 || w->pid > 0 || w->done) continue;
      if (w->due <= t) {
        if (start(s, i)) return i + 1;
      }
      else if (next < 0 || w->due - t < next)
        next = w->due - t;
    }
    if (poll(pf, 2, (int)next) < 0 && errno != EINTR) {
      fprintf(stderr, "ludp: workers: poll: %s\n", strerror(errno));
      stop_all(s, SIGTERM);
      s->status = 1;
    }
    if (pf[1].revents & POLLIN) on_notify(s);
    if (pf[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD)
          reap(s);
        else if (sig == SIGHUP && !s->stopping)
          reload(s);
        else
          stop_all(s, sig);
      }
    }
  }
  return 0;
}

/* Reads all of stdin, the script (malloc'd; *len its size), or NULL. */
static char *read_stdin (size_t *len) {
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    ssize_t k;
    if (buf == NULL) return NULL;
    if (n == cap) {
      char *nb = realloc(buf, cap *= 2);
      if (nb == NULL) free(buf);
      buf = nb;
      continue;
    }
    k = read(0, buf + n, cap - n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      free(buf);
      return NULL;
    }
    if (k == 0) break;
    n += (size_t)k;
  }
  *len = n;
  return buf;
}

int ludp_workers_run (int n, int stdin_script, int *status) {
  supervisor s;
  sigset_t set;
  char *script = NULL;
  int id = 0;
  memset(&s, 0, sizeof(s));
  s.sigfd = s.notifyfd = -1;
  *status = 1;
  if (stdin_script) {
    script = read_stdin(&s.script_len);
    if (script == NULL) {
      fprintf(stderr, "ludp: cannot read the script from stdin: %s\n",
              strerror(errno));
      return 0;
    }
    s.script = script;
  }
  s.n = n;
  s.w = calloc((size_t)n, sizeof(worker));
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  if (s.w != NULL && sigprocmask(SIG_BLOCK, &set, &s.oldmask) == 0)
    s.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s.sigfd < 0 || open_notify(&s) != 0) {
    fprintf(stderr, "ludp: cannot start the workers: %s\n", strerror(errno));
  }
  else {
    id = supervise(&s);
    if (id == 0) {
      tell_stopping(&s);
      *status = s.status;
    }
  }
  if (id == 0) {
    if (s.sigfd >= 0) close(s.sigfd);
    if (s.notifyfd >= 0) close(s.notifyfd);
  }
  free(s.upstream);
  free(s.w);
  free(script);
  return id;
}
