/*
** notify.c
** systemd's readiness protocol, client side: a state ("READY=1",
** "STOPPING=1") sent as one datagram to the AF_UNIX socket named by
** $NOTIFY_SOCKET, a path or, with a leading '@', a name in the abstract
** namespace. A plain sendto, so it needs neither libsystemd nor the
** loop: the supervisor of --workers (workers.c) uses it before any loop
** exists. core.notify(state) is the same call for ludp.readiness.
*/

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ludp.h"

/* Sends 'state' to the socket 'where' names. Returns 1 when sent, 0 when
** 'where' is NULL or empty (not under systemd), or a negative libuv code. */
int ludp_notify_to (const char *where, const char *state) {
  struct sockaddr_un sa;
  size_t len;
  socklen_t salen;
  ssize_t n;
  int fd, err = 0;
  if (where == NULL || where[0] == '\0') return 0;
  len = strlen(where);
  if ((where[0] != '/' && where[0] != '@') || len >= sizeof(sa.sun_path))
    return UV_EINVAL;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, where, len);
  if (where[0] == '@') sa.sun_path[0] = '\0'; /* abstract: no final NUL */
  salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
                      (where[0] == '/'));
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return uv_translate_sys_error(errno);
  do
    n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
               salen);
  while (n < 0 && errno == EINTR);
  if (n < 0) err = uv_translate_sys_error(errno);
  close(fd);
  return err ? err : 1;
}

int ludp_notify (const char *state) {
  return ludp_notify_to(getenv("NOTIFY_SOCKET"), state);
}

/* core.notify(state) -> 1 sent, 0 not under systemd, or a negative code */
static int core_notify (lua_State *L) {
  lua_pushinteger(L, ludp_notify(luaL_checkstring(L, 1)));
  return 1;
}

void ludp_open_notify (lua_State *L) {
  lua_pushcfunction(L, core_notify);
  lua_setfield(L, -2, "notify");
}
