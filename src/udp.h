/*
** udp.h
** Internal interface of the UDP rooms: udp.c (the binding of uv_udp_t:
** methods, options, lifetime), udp_recv.c (the receive engine),
** udp_send.c (sends and the reply batcher) and udp_reply.c (reply() from
** a datagram's local address). It holds what they share: a
** socket's extra state after its uv_udp_t, the engine's state for the
** loop, and the few calls between the rooms.
*/

#ifndef LUDP_UDP_H
#define LUDP_UDP_H

/* Each file that includes this defines _GNU_SOURCE first (mmsghdr). */
#include <stdint.h>
#include <sys/socket.h>

#include "ludp.h"
#include "sockaddr.h"

/* --------------------------------------------------------- one socket */

/*
** The user values of a UDP box. Kept there rather than in the registry,
** so that a box nobody reaches is collected with its listener and owner
** even when they refer back to it.
*/
enum {
  UDP_UV_ONMESSAGE = 1, /* onmessage(msg, rinfo), or nil: set_onmessage */
  UDP_UV_OWNER,         /* the Lua object callbacks get: core.udp's 2nd */
  UDP_NUV = UDP_UV_OWNER
};

/* A socket's counts since its creation, for stats(): every path counts,
** the sends done in C and the reply batcher's included (a UDP_SEGMENT
** message of k segments is k datagrams). The kernel's drops are read
** when asked for (udp_stats in udp.c). */
typedef struct {
  uint64_t received, received_bytes;
  uint64_t sent, sent_bytes, send_errors;
  uint64_t truncated, blocked;
} udp_counts;

typedef struct {
  int family;              /* AF_INET / AF_INET6 requested at creation */
  unsigned char in_batch;  /* replies are batched (see udp_send_now) */
  unsigned char fast;      /* Socket.send's reply form may be done in C */
  unsigned char idle;      /* the last read found the socket empty */
  unsigned char reading;   /* read_lone delivers: recv_stop waits */
  unsigned char stopping;  /* a recv_stop waits for on_recv */
  unsigned char no_gso;    /* the kernel refused a UDP_SEGMENT send */
  unsigned char own_read;  /* recvInfo or maxDatagramSize: control, slots */
  unsigned char recv_info; /* recvInfo: each datagram's control messages */
  unsigned char paused;    /* pause(): not reading until resume() */
  unsigned char started;   /* recv_start was called (dgram's bind) */
  uint16_t max_dgram;      /* maxDatagramSize, or 0: whole datagrams */
  const void *owner;       /* the owner's identity (core.udp), or NULL */
  udp_counts counts;
} udp_extra;

#define UDP_SIZE (sizeof(uv_udp_t) + sizeof(udp_extra))

static inline uv_udp_t *udp_of (ludp_handle *lh) {
  return (uv_udp_t *)lh->h;
}

static inline udp_extra *udp_extra_of (ludp_handle *lh) {
  return (udp_extra *)((char *)lh->h + sizeof(uv_udp_t));
}

/* ------------------------------------------------- the engine's state */

/* Receive: a recvmmsg reads up to RECV_WIDTH datagrams, each into its
** own 64 KiB slice of one buffer that every socket shares (a batch is
** consumed at once); pages never written to cost no memory. */
#define RECV_WIDTH 64
#define RECV_SLICE (64 * 1024)
#define PENDING_MAX 64
#define PEER_SLOT_BITS 10 /* udp_recv.c: the peers whose strings are kept */
#define PEER_SLOTS (1 << PEER_SLOT_BITS)

/* read_own's control buffer per datagram: IPv4 or IPv6 packet info and
** TOS / traffic class, with room to spare. */
#define RECV_CTL 192

/* Reply batches: replies made while a receive batch is delivered. */
#define BATCH_MAX 64
#define BATCH_BYTES (256 * 1024)

/* Counters of the paths datagrams take, for specs and benchmarks: a
** refactor that loses a fast path fails a spec (core.udp_paths()). */
typedef struct {
  lua_Integer read_lone;     /* datagrams read alone with recvmsg */
  lua_Integer read_mmsg;     /* datagrams read by recvmmsg */
  lua_Integer recvmmsg;      /* the recvmmsg calls that read them */
  lua_Integer delivered;     /* datagrams handed to an onmessage */
  lua_Integer reply_fast;    /* Socket.send calls done in C, no Lua */
  lua_Integer batched;       /* replies that joined a reply batch */
  lua_Integer sendmmsg;      /* sendmmsg calls that sent batched replies */
  lua_Integer gso_sends;     /* UDP_SEGMENT messages among them */
  lua_Integer gso_datagrams; /* the datagrams those carried */
  lua_Integer try_send;      /* datagrams sent with uv_udp_try_send */
  lua_Integer queued;        /* datagrams copied into libuv's queue */
  lua_Integer reply_from;    /* Socket.reply calls done in C (udp_reply.c) */
  lua_Integer reply_peer;    /* destinations that were the datagram's peer */
  lua_Integer quiet;         /* reply batches sent out of the epoll set */
} udp_paths;

/* A rinfo table made ahead (udp_recv.c). */
typedef struct {
  int ref;  /* its registry slot: the table, or false */
  int made; /* whether the slot holds the table */
} udp_spare;

/*
** Everything the UDP rooms keep between calls, for the one loop of the
** process (ludp_loop(), made by loop.c) and the Lua state that
** runs it. In static memory: a socket pays nothing for it, and pages
** never written (most of the buffers) cost nothing.
*/
typedef struct {
  struct { /* udp_recv.c */
    char buf[RECV_WIDTH * RECV_SLICE];
    struct { /* datagrams waiting for one protected call */
      ludp_handle *lh;
      unsigned n, next; /* 'next' survives an error thrown by a listener */
      struct {
        const char *base;
        size_t len;
        ludp_sockaddr from;
      } d[PENDING_MAX];
    } pending;
    struct {               /* what read_own read with each pending datagram */
      ludp_sockaddr local; /* where it was sent to (family 0: unknown) */
      int ifindex, tos;    /* its interface, TOS (-1: unknown) */
      unsigned char truncated;
    } info[PENDING_MAX];
    struct {         /* the recvmmsg's headers, made for the last socket read */
      size_t slot;   /* its slots' size (0: not made yet) */
      int ctl_on;    /* with control buffers */
      unsigned used; /* headers the last call wrote to */
      struct mmsghdr msgs[RECV_WIDTH];
      struct iovec iov[RECV_WIDTH];
      union {
        char buf[RECV_CTL];
        struct cmsghdr align;
      } ctl[RECV_WIDTH];
    } own;
    struct {          /* the datagram whose listeners run (see udp_dst) */
      const char *ip; /* its rinfo.address, by address (NULL: none) */
      int port;       /* its rinfo.port */
      const ludp_sockaddr *from;
    } now;
    ludp_sockaddr peers[PEER_SLOTS]; /* peers whose strings are kept */
    int peers_kept;      /* any (untouched, 'peers' costs no memory) */
    ludp_sockaddr local; /* the last localAddress, string at local_ref */
    int local_ref;       /* registry slot of that string */
    char *carried;       /* a copy of what a failed batch left (see carry) */
    udp_spare spare[2];  /* the next rinfo table; [1]: sockets with recvInfo */
  } recv;
  struct {              /* udp_send.c */
    ludp_handle *owner; /* the socket the batched replies leave by */
    unsigned n;         /* replies waiting */
    size_t used;        /* bytes of 'data' used */
    struct mmsghdr msgs[BATCH_MAX];
    struct { /* what msgs[i] points to */
      struct iovec iov;
      ludp_sockaddr to;
    } aux[BATCH_MAX];
    struct { /* the messages of one flush with runs, while it sends */
      struct mmsghdr msgs[BATCH_MAX];
      struct iovec iov[BATCH_MAX];
      unsigned first[BATCH_MAX], count[BATCH_MAX];
      union {
        char buf[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
      } ctl[BATCH_MAX];
    } gso;
    unsigned anchored;         /* strings kept on 'anchor' */
    unsigned char exiting;     /* the process is exiting: no Lua */
    unsigned char at_exit_set; /* flush_at_exit is registered */
    lua_State *anchor;         /* a thread whose stack keeps them alive */
    int flushing; /* set while the batch leaves (see udp_send_now) */
    char data[BATCH_BYTES];
  } batch;
  ludp_dst_cache dst;  /* the destinations parsed lately */
  ludp_addr_cache src; /* the last local address a reply left from */
  udp_paths paths;
} udp_engine;

extern udp_engine ludp_udp;

/* ------------------------------------------------ calls between rooms */

/* udp.c: the handle at 1 (an open UDP box); replies still batched leave
** first, so that anything done with the socket comes after them. */
ludp_handle *udp_check (lua_State *L);

/* udp.c: pushes the box's onerror and owner; 0 (nothing pushed) when the
** socket is not receiving or its state is gone. */
int udp_push_onerror (lua_State *L, ludp_handle *lh);

/* udp.c: parses the ip string and port at 'i', 'i+1' for the socket. */
int udp_arg_addr (lua_State *L, ludp_handle *lh, int i,
                  const struct sockaddr **sa);

/* udp.c: the destination 'len' bytes of 'ip' (a Lua string's) and 'port'
** name for the socket: 0 and *sa, or UV_EINVAL. */
int udp_dst (ludp_handle *lh, const char *ip, size_t len, int port,
             const struct sockaddr **sa);

/* udp_recv.c */
int udp_recv_start (lua_State *L);
int udp_recv_stop (lua_State *L);
int udp_set_paused (lua_State *L);
int udp_set_recv (lua_State *L);
void udp_recv_close (const ludp_handle *lh);
ludp_handle *udp_recv_owned_by (const void *owner);
void udp_recv_rewatch (ludp_handle *lh);

/* udp_quiet.c: takes the socket out of the loop's epoll set before a
** batch of 'datagrams' replies leaves by fd (1), or leaves it there (0);
** after a 1, udp_quiet_end puts it back. Only where UDP_QUIET: Linux with
** a libuv before 1.45, whose epoll_ctl calls are direct (later versions
** may hand them to io_uring in batches, flushed before each wait, and a
** socket taken out and put back could then meet one of them out of
** order); elsewhere no socket leaves the set. */
#if defined(__linux__) && UV_VERSION_HEX < 0x012d00
#define UDP_QUIET 1
#else
#define UDP_QUIET 0
#endif
int udp_quiet_begin (ludp_handle *lh, uv_os_fd_t fd, unsigned datagrams);
void udp_quiet_end (ludp_handle *lh, uv_os_fd_t fd);
void udp_recv_open (lua_State *L);

/* udp_send.c */
#define MAX_BUFS 64 /* pieces of one datagram */
int udp_get_bufs (lua_State *L, int i, uv_buf_t *bufs, size_t *total);
void udp_report_send_error (ludp_handle *lh, int status,
                            const struct sockaddr *to);
void udp_push_owners (lua_State *L);
int udp_send (lua_State *L);
void udp_flush (ludp_handle *lh);
void udp_send_free (ludp_handle *lh);
void udp_send_owner (lua_State *L, int owner, int box);
void udp_send_open (lua_State *L);

/* udp_reply.c */
int udp_send_from (lua_State *L);
void udp_reply_open (lua_State *L);

#endif
