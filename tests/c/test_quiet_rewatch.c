/*
** test_quiet_rewatch.c
** udp_quiet.c takes a socket out of the loop's epoll set while a batch of
** replies leaves and puts it back after. When putting it back fails (the
** kernel out of memory, played here by an epoll_ctl that fails the next
** EPOLL_CTL_ADD with ENOMEM), libuv must register the socket again: the
** datagrams that arrive afterwards are still read. The replies go to the
** socket itself, so they arrive while it is out of the set.
*/

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>

#include <lualib.h>

#include "check.h"
#include "udp.h" /* UDP_QUIET */

static int fail_adds; /* EPOLL_CTL_ADD calls still to fail */
static int failed;    /* and those that did */

/* This program's epoll_ctl, which libuv's calls reach too. */
int epoll_ctl (int epfd, int op, int fd, struct epoll_event *ev) {
  static int (*real)(int, int, int, struct epoll_event *);
  if (real == NULL)
    real = (int (*)(int, int, int, struct epoll_event *))dlsym(RTLD_NEXT,
                                                               "epoll_ctl");
  if (op == EPOLL_CTL_ADD && fail_adds > 0) {
    fail_adds--;
    failed++;
    errno = ENOMEM;
    return -1;
  }
  return real(epfd, op, fd, ev);
}

/* fail_next_add(): the next EPOLL_CTL_ADD fails. */
static int fail_next_add (lua_State *L) {
  (void)L;
  fail_adds = 1;
  return 0;
}

/* Where sockets leave the set, the batches did; elsewhere none did. */
#if UDP_QUIET
#define QUIET_CMP ">"
#else
#define QUIET_CMP "=="
#endif

static const char CHUNK[] =
  "local core, N = ..., 32\n"
  "local _, s = core.udp(4, {})\n"
  "assert(s:bind('127.0.0.1', 0) == 0)\n"
  "local _, _, port = s:getsockname()\n"
  "local _, c = core.udp(4)\n"
  "local armed, pongs = false, 0\n"
  "s:set_onmessage(function(msg)\n"
  "  if msg == 'ping' then\n"
  "    if not armed then armed = true; fail_next_add() end\n"
  "    assert(s:send('pong', '127.0.0.1', port, nil, true) == 0)\n"
  "  else\n"
  "    pongs = pongs + 1\n"
  "    if pongs == N then s:close(); c:close() end\n"
  "  end\n"
  "end)\n"
  "assert(s:recv_start(function() error('no') end) == 0)\n"
  "for _ = 1, N do assert(c:send('ping', '127.0.0.1', port) == 0) end\n"
  "local before = core.udp_paths().quiet\n"
  "local t = core.timer()\n"
  "t:start(5000, 0, function() error('pongs: ' .. pongs) end)\n"
  "t:unref()\n"
  "core.run()\n"
  "assert(pongs == N, 'pongs ' .. pongs)\n"
  "assert(core.udp_paths().quiet " QUIET_CMP " before)\n";

int main (void) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "ludp.core", luaopen_ludp_core, 0);
  lua_register(L, "fail_next_add", fail_next_add);
  if (luaL_loadstring(L, CHUNK) != LUA_OK ||
      (lua_insert(L, -2), lua_pcall(L, 1, 0, 0)) != LUA_OK) {
    fprintf(stderr, "chunk failed: %s\n", lua_tostring(L, -1));
    abort();
  }
#if UDP_QUIET
  ASSERT(failed == 1); /* udp_quiet_end's, and libuv's own went through */
#else
  ASSERT(failed == 0); /* no socket leaves the set (see udp_quiet.c) */
#endif
  lua_close(L);
  ludp_set_state(NULL);
  uv_run(ludp_loop(), UV_RUN_NOWAIT);
  ASSERT(uv_loop_close(ludp_loop()) == 0);
  printf("ok\n");
  return 0;
}
