/*
** notify_listen.c
** Plays systemd's side of $NOTIFY_SOCKET for spec/readiness_spec.lua:
** binds a Unix datagram socket (a path, or '@name' in the abstract
** namespace), prints "listening", then one line per datagram received:
** its text, and " bound" or " unbound" for whether all the files named
** after COUNT existed when it arrived (the script under test makes one
** once its socket is bound). Exits after 'count' datagrams, or with
** status 1 after 60 s without one.
**
** usage: notify_listen SOCKET COUNT [FILE...]
*/

#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main (int argc, char **argv) {
  struct sockaddr_un sa;
  socklen_t len;
  int fd, count, i;
  if (argc < 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
    fprintf(stderr, "usage: notify_listen SOCKET COUNT [FILE...]\n");
    return 2;
  }
  count = atoi(argv[2]);
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, argv[1], strlen(argv[1]));
  len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(argv[1]));
  if (argv[1][0] == '@') sa.sun_path[0] = '\0';
  fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) != 0) {
    perror("notify_listen: bind");
    return 1;
  }
  printf("listening\n");
  fflush(stdout);
  for (i = 0; i < count; i++) {
    char buf[4096];
    struct pollfd pf = {fd, POLLIN, 0};
    ssize_t k;
    int j, all = 1;
    if (poll(&pf, 1, 60000) != 1) {
      fprintf(stderr, "notify_listen: nothing for 60 s\n");
      return 1;
    }
    k = recv(fd, buf, sizeof(buf) - 1, 0);
    if (k < 0) {
      perror("notify_listen: recv");
      return 1;
    }
    buf[k] = '\0';
    printf("%s", buf);
    for (j = 3; j < argc; j++)
      if (access(argv[j], F_OK) != 0) all = 0;
    if (argc > 3) printf(all ? " bound" : " unbound");
    printf("\n");
    fflush(stdout);
  }
  if (argv[1][0] == '/') unlink(argv[1]);
  return 0;
}
