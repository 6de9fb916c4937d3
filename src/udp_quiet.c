/*
** udp_quiet.c
** A UDP socket out of the loop's epoll set while a batch of replies
** leaves. Each datagram sent hands its memory back to the socket when the
** packet is delivered, which on loopback happens inside the send call,
** and the kernel then wakes whoever waits on the socket for room to
** write: with the socket in an epoll set, epoll's callback, under a lock
** with interrupts off, once per datagram (once per segment of a
** UDP_SEGMENT run), though the loop only waits to read. Out of the set
** for the sendmmsg and back in after, at the price of two epoll_ctl
** calls, a batch pays for none of those wake-ups.
**
** The set is libuv's: the socket is put back as libuv registered it (its
** io_watcher's 'events', what libuv last gave epoll, and the descriptor
** as the event's data, as libuv 1.x does on Linux). Only a socket libuv
** watches for reading and nothing else is taken out: the one state the
** fallback below can restore. Epoll is level-triggered and checks the
** socket when it is added, so a datagram that arrived meanwhile is
** reported at the next wait.
*/

#define _GNU_SOURCE /* mmsghdr in udp.h */
#include <errno.h>

#include "udp.h"

#if UDP_QUIET /* see udp.h */
#include <poll.h>
#include <sys/epoll.h>

/* Batches smaller than this leave in the set: two calls would cost them
** more than the wake-ups. */
#define QUIET_MIN 8

int udp_quiet_begin (ludp_handle *lh, uv_os_fd_t fd, unsigned datagrams) {
  const uv_udp_t *h = udp_of(lh);
  if (datagrams < QUIET_MIN || h->io_watcher.events != POLLIN ||
      h->io_watcher.pevents != POLLIN || h->io_watcher.fd != fd)
    return 0;
  if (epoll_ctl(uv_backend_fd(ludp_loop()), EPOLL_CTL_DEL, fd, NULL) != 0)
    return 0;
  ludp_udp.paths.quiet++;
  return 1;
}

void udp_quiet_end (ludp_handle *lh, uv_os_fd_t fd) {
  struct epoll_event e = {0};
  e.events = udp_of(lh)->io_watcher.events;
  e.data.fd = fd;
  if (epoll_ctl(uv_backend_fd(ludp_loop()), EPOLL_CTL_ADD, fd, &e) != 0 &&
      errno != EEXIST) {
    /* Not in the set (no memory): libuv is told it registered nothing,
    ** and adds the socket at its next poll, as it adds a new one. */
    udp_of(lh)->io_watcher.events = 0;
    udp_recv_rewatch(lh);
  }
}

#else

int udp_quiet_begin (ludp_handle *lh, uv_os_fd_t fd, unsigned datagrams) {
  (void)lh;
  (void)fd;
  (void)datagrams;
  return 0;
}

void udp_quiet_end (ludp_handle *lh, uv_os_fd_t fd) {
  (void)lh;
  (void)fd;
}

#endif
