/*
 * The load benchmark's reference echo server: what a minimal, careful C
 * server does, to measure muxd against. One thread, one epoll set, TCP and
 * UDP on the same port, non-blocking sockets, level-triggered events.
 *
 * An idle connection costs one small struct: every read goes into one shared
 * 64 KiB buffer, and only bytes the kernel would not take at once are copied
 * aside until the socket is writable again (reading from that connection
 * stops meanwhile, so a slow reader slows only its own sender).
 *
 *   cc -O2 -o echo_server echo_server.c
 *   ./echo_server 127.0.0.1 24010     # prints "ready 24010" once bound
 *
 * Built by bench/load/build.ts into a temporary folder at run time; the
 * binary is never committed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER_SIZE 65536
#define MAX_EVENTS 256

struct conn {
  int fd;
  char *pending; /* bytes read but not yet written, or NULL */
  size_t pending_len;
  size_t pending_off;
};

static int epfd;
static char buffer[BUFFER_SIZE];

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void close_conn(struct conn *c) {
  close(c->fd); /* also removes it from the epoll set */
  free(c->pending);
  free(c);
}

static void watch(struct conn *c, int op, unsigned events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(epfd, op, c->fd, &ev) < 0) die("epoll_ctl");
}

/* Writes what is pending; returns 0 when all is written, 1 when the socket
 * is full, -1 when the connection is gone. */
static int flush_pending(struct conn *c) {
  while (c->pending_off < c->pending_len) {
    ssize_t n = write(c->fd, c->pending + c->pending_off, c->pending_len - c->pending_off);
    if (n < 0) return errno == EAGAIN ? 1 : -1;
    c->pending_off += (size_t)n;
  }
  free(c->pending);
  c->pending = NULL;
  return 0;
}

static void on_readable(struct conn *c) {
  ssize_t n = read(c->fd, buffer, sizeof buffer);
  if (n == 0 || (n < 0 && errno != EAGAIN)) {
    close_conn(c);
    return;
  }
  if (n < 0) return;
  ssize_t off = 0;
  while (off < n) {
    ssize_t w = write(c->fd, buffer + off, (size_t)(n - off));
    if (w < 0) {
      if (errno != EAGAIN) {
        close_conn(c);
        return;
      }
      /* The peer is not reading: keep the rest and wait until writable. */
      c->pending_len = (size_t)(n - off);
      c->pending_off = 0;
      c->pending = malloc(c->pending_len);
      if (c->pending == NULL) die("malloc");
      memcpy(c->pending, buffer + off, c->pending_len);
      watch(c, EPOLL_CTL_MOD, EPOLLOUT);
      return;
    }
    off += w;
  }
}

static void on_writable(struct conn *c) {
  int r = flush_pending(c);
  if (r < 0) close_conn(c);
  else if (r == 0) watch(c, EPOLL_CTL_MOD, EPOLLIN);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s ADDRESS PORT\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
    fprintf(stderr, "not an IPv4 address: %s\n", argv[1]);
    return 2;
  }

  int one = 1;
  int tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (tcp < 0) die("socket");
  setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(tcp, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind tcp");
  if (listen(tcp, 4096) < 0) die("listen");
  socklen_t len = sizeof addr;
  getsockname(tcp, (struct sockaddr *)&addr, &len); /* port 0: the port the OS picked */

  int udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (udp < 0) die("socket");
  if (bind(udp, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind udp");

  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  /* The two listening sockets are told apart by these markers. */
  static int tcp_marker, udp_marker;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &tcp_marker};
  epoll_ctl(epfd, EPOLL_CTL_ADD, tcp, &ev);
  ev.data.ptr = &udp_marker;
  epoll_ctl(epfd, EPOLL_CTL_ADD, udp, &ev);

  printf("ready %d\n", ntohs(addr.sin_port));
  fflush(stdout);

  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      void *tag = events[i].data.ptr;
      if (tag == &tcp_marker) {
        for (;;) {
          int fd = accept4(tcp, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break; /* EAGAIN, or a connection that went away */
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn *c = calloc(1, sizeof *c);
          if (c == NULL) die("calloc");
          c->fd = fd;
          watch(c, EPOLL_CTL_ADD, EPOLLIN);
        }
      } else if (tag == &udp_marker) {
        for (int k = 0; k < 64; k++) {
          struct sockaddr_storage from;
          socklen_t fromlen = sizeof from;
          ssize_t got = recvfrom(udp, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &fromlen);
          if (got < 0) break;
          sendto(udp, buffer, (size_t)got, 0, (struct sockaddr *)&from, fromlen);
        }
      } else {
        struct conn *c = tag;
        if (c->pending != NULL) on_writable(c);
        else on_readable(c);
      }
    }
  }
}
