/*
 * The load benchmark's load generator: one thread, one epoll set, so that it
 * uses at most one core and leaves the other to the server. Every mode runs
 * for a bounded time against a loopback address, checks every byte that
 * comes back, reports its own CPU time, prints one JSON line and exits.
 *
 *   loadgen tcp  HOST PORT CONNS SECONDS CHUNK WINDOW   echo throughput
 *   loadgen rate HOST PORT CONCURRENCY SECONDS SIZE SOURCES
 *                                                       connect, SIZE bytes, read echo, close
 *   loadgen udp  HOST PORT OUTSTANDING SECONDS          request/response, loss and boundaries
 *   loadgen hold HOST PORT COUNT                        hold COUNT idle connections until stdin ends
 *
 * HOST must be an IPv4 loopback address (127.0.0.0/8); anything else is
 * refused. The rate mode spreads its connections over SOURCES source
 * addresses from 127.0.0.2 on, so that TIME-WAIT entries do not run out of
 * ports; SOURCES 0 leaves the source to the kernel (127.0.0.1).
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define PATTERN_BASE (1u << 20) /* the verification pattern repeats every 1 MiB */
#define PATTERN_TAIL 65536      /* so that any read of <= 64 KiB is one memcmp */
#define READ_SIZE 65536
static unsigned sources = 64; /* 0: the default source, 127.0.0.1 */

static unsigned char pattern[PATTERN_BASE + PATTERN_TAIL];
static unsigned char rbuf[READ_SIZE];
static struct sockaddr_in target;

static void die(const char *what) {
  perror(what);
  exit(1);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void fill_pattern(void) {
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i < PATTERN_BASE; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    pattern[i] = (unsigned char)(x >> 24);
  }
  memcpy(pattern + PATTERN_BASE, pattern, PATTERN_TAIL);
}

static const unsigned char *pattern_at(uint64_t offset) {
  return pattern + (offset % PATTERN_BASE);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static uint32_t percentile(uint32_t *sorted, size_t n, double p) {
  if (n == 0) return 0;
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return sorted[i];
}

static int tcp_socket(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  return fd;
}

static void set_nonblocking(int fd) {
  int one = 1;
  if (ioctl(fd, FIONBIO, &one) < 0) die("ioctl FIONBIO");
}

/* ---------------------------------------------------------------- tcp -- */

struct tconn {
  int fd;
  uint64_t base; /* where this connection's stream starts in the pattern */
  uint64_t sent, recvd;
  int write_closed, finished, failed;
};

static int tcp_mode(int conns, double seconds, size_t chunk, uint64_t window) {
  struct tconn *cs = calloc((size_t)conns, sizeof *cs);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  long errors = 0, mismatches = 0, extra = 0;
  for (int i = 0; i < conns; i++) {
    cs[i].fd = tcp_socket();
    cs[i].base = (uint64_t)i * 7919u;
    if (connect(cs[i].fd, (struct sockaddr *)&target, sizeof target) < 0) die("connect");
    set_nonblocking(cs[i].fd);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = &cs[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
  }
  double t0 = now_s(), c0 = cpu_s(), t_stop = 0, c_stop = 0;
  double deadline = t0 + seconds, drain_deadline = deadline + 5;
  uint64_t bytes_at_stop = 0;
  int stopping = 0, open = conns;
  struct epoll_event events[256];
  while (open > 0) {
    double t = now_s();
    if (!stopping && t >= deadline) {
      /* The window ends here; what follows only checks that every byte sent
       * comes back, and closes. */
      stopping = 1;
      t_stop = t;
      c_stop = cpu_s();
      for (int i = 0; i < conns; i++) bytes_at_stop += cs[i].recvd;
      for (int i = 0; i < conns; i++) {
        struct tconn *c = &cs[i];
        if (!c->finished && !c->write_closed && c->recvd == c->sent) {
          shutdown(c->fd, SHUT_WR);
          c->write_closed = 1;
        }
      }
    }
    if (t >= drain_deadline) break;
    int n = epoll_wait(ep, events, 256, 10);
    for (int e = 0; e < n; e++) {
      struct tconn *c = events[e].data.ptr;
      if (c->finished) continue;
      for (;;) {
        ssize_t r = read(c->fd, rbuf, READ_SIZE);
        if (r > 0) {
          if (c->recvd + (uint64_t)r > c->sent) {
            extra++;
            c->failed = 1;
            break;
          }
          if (memcmp(rbuf, pattern_at(c->base + c->recvd), (size_t)r) != 0) {
            mismatches++;
            c->failed = 1;
            break;
          }
          c->recvd += (uint64_t)r;
        } else if (r == 0) {
          if (!(c->write_closed && c->recvd == c->sent)) c->failed = 1;
          c->finished = 1;
          break;
        } else {
          if (errno != EAGAIN) c->failed = 1;
          break;
        }
      }
      while (!c->failed && !c->finished && !stopping && c->sent - c->recvd + chunk <= window) {
        ssize_t w = write(c->fd, pattern_at(c->base + c->sent), chunk);
        if (w < 0) {
          if (errno != EAGAIN) c->failed = 1;
          break;
        }
        c->sent += (uint64_t)w;
      }
      if (!c->failed && !c->finished && stopping && !c->write_closed && c->recvd == c->sent) {
        shutdown(c->fd, SHUT_WR);
        c->write_closed = 1;
      }
      if (c->failed) {
        errors++;
        c->finished = 1;
      }
      if (c->finished) {
        close(c->fd);
        open--;
      }
    }
  }
  if (!stopping) { /* every connection failed before the deadline */
    t_stop = now_s();
    c_stop = cpu_s();
    for (int i = 0; i < conns; i++) bytes_at_stop += cs[i].recvd;
  }
  uint64_t verified = 0, unanswered = 0;
  for (int i = 0; i < conns; i++) {
    verified += cs[i].recvd;
    unanswered += cs[i].sent - cs[i].recvd;
    if (!cs[i].finished) {
      errors++; /* still open when the drain time ran out */
      close(cs[i].fd);
    }
  }
  printf("{\"bytes\":%llu,\"verified\":%llu,\"unanswered\":%llu,\"seconds\":%.6f,\"errors\":%ld,"
         "\"mismatches\":%ld,\"extra\":%ld,\"cpu\":%.6f}\n",
         (unsigned long long)bytes_at_stop, (unsigned long long)verified,
         (unsigned long long)unanswered, t_stop - t0, errors, mismatches, extra, c_stop - c0);
  return 0;
}

/* --------------------------------------------------------------- rate -- */

enum { IDLE, CONNECTING, READING };

struct slot {
  int fd, state;
  size_t got;
  double started;
  uint64_t offset;
};

static long err_refused, err_reset, err_timeout, err_mismatch, err_other;

static void count_error(int err) {
  if (err == ECONNREFUSED) err_refused++;
  else if (err == ECONNRESET || err == EPIPE) err_reset++;
  else if (err == ETIMEDOUT) err_timeout++;
  else err_other++;
}

static uint64_t next_offset = 0;
static unsigned next_source = 0;

static int start_slot(struct slot *s, int ep) {
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0) die("socket");
  int one = 1;
  setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (sources > 0) {
    setsockopt(s->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(0x7F000002u + (next_source++ % sources));
    if (bind(s->fd, (struct sockaddr *)&src, sizeof src) < 0) die("bind source");
  }
  s->started = now_s();
  s->got = 0;
  s->offset = next_offset;
  next_offset += 61;
  int r = connect(s->fd, (struct sockaddr *)&target, sizeof target);
  if (r < 0 && errno != EINPROGRESS) {
    count_error(errno);
    close(s->fd);
    s->state = IDLE;
    return -1;
  }
  s->state = CONNECTING;
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = s};
  epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
  return 0;
}

static void end_slot(struct slot *s) {
  close(s->fd);
  s->state = IDLE;
}

static int rate_mode(int concurrency, double seconds, size_t size) {
  struct slot *slots = calloc((size_t)concurrency, sizeof *slots);
  size_t cap = 1 << 22, count = 0;
  uint32_t *lat = malloc(cap * sizeof *lat);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  double t0 = now_s(), c0 = cpu_s(), deadline = t0 + seconds;
  for (int i = 0; i < concurrency; i++) start_slot(&slots[i], ep);
  struct epoll_event events[256];
  for (;;) {
    double t = now_s();
    int stopping = t >= deadline, busy = 0;
    for (int i = 0; i < concurrency; i++) {
      struct slot *s = &slots[i];
      if (s->state != IDLE && t - s->started > 3.0) {
        err_timeout++;
        end_slot(s);
      }
      if (s->state == IDLE && !stopping) start_slot(s, ep);
      if (s->state != IDLE) busy++;
    }
    if (stopping && busy == 0) break;
    int n = epoll_wait(ep, events, 256, 5);
    for (int e = 0; e < n; e++) {
      struct slot *s = events[e].data.ptr;
      if (s->state == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          count_error(err);
          end_slot(s);
          continue;
        }
        ssize_t w = write(s->fd, pattern_at(s->offset), size);
        if (w != (ssize_t)size) {
          count_error(w < 0 ? errno : EIO);
          end_slot(s);
          continue;
        }
        s->state = READING;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
        epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
      } else if (s->state == READING) {
        ssize_t r = read(s->fd, rbuf + s->got, size - s->got);
        if (r <= 0) {
          if (r < 0 && errno == EAGAIN) continue;
          count_error(r == 0 ? ECONNRESET : errno);
          end_slot(s);
          continue;
        }
        s->got += (size_t)r;
        if (s->got < size) continue;
        if (memcmp(rbuf, pattern_at(s->offset), size) != 0) {
          err_mismatch++;
        } else if (count < cap) {
          lat[count++] = (uint32_t)((now_s() - s->started) * 1e6);
        }
        end_slot(s);
      }
    }
  }
  double t1 = now_s(), c1 = cpu_s();
  qsort(lat, count, sizeof *lat, cmp_u32);
  long errors = err_refused + err_reset + err_timeout + err_mismatch + err_other;
  printf("{\"conns\":%zu,\"seconds\":%.6f,\"errors\":%ld,\"refused\":%ld,\"reset\":%ld,"
         "\"timeout\":%ld,\"mismatch\":%ld,\"other\":%ld,\"p50_us\":%u,\"p99_us\":%u,"
         "\"max_us\":%u,\"cpu\":%.6f}\n",
         count, t1 - t0, errors, err_refused, err_reset, err_timeout, err_mismatch, err_other,
         percentile(lat, count, 0.5), percentile(lat, count, 0.99),
         count ? lat[count - 1] : 0, c1 - c0);
  return 0;
}

/* ---------------------------------------------------------------- udp -- */

#define UDP_TIMEOUT 0.2 /* a reply later than this counts as lost */

struct req {
  uint64_t seq;
  double sent_at;
  int active;
};

static size_t request_length(uint64_t seq) {
  return 32 + (size_t)(seq % 33); /* 32 to 64 bytes: a merged or split reply shows */
}

static void build_request(unsigned char *buf, uint64_t seq, uint32_t slot) {
  size_t len = request_length(seq);
  memcpy(buf, pattern_at(seq * 13), len);
  memcpy(buf, &seq, 8);
  memcpy(buf + 8, &slot, 4);
}

static int udp_mode(int outstanding, double seconds) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&target, sizeof target) < 0) die("connect");
  set_nonblocking(fd);
  struct req *reqs = calloc((size_t)outstanding, sizeof *reqs);
  size_t cap = 1 << 23, count = 0;
  uint32_t *lat = malloc(cap * sizeof *lat);
  uint64_t next_seq = 1;
  long sent = 0, received = 0, lost = 0, bad = 0, late = 0, refused = 0, send_fail = 0;
  unsigned char out[128], expect[128];
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  double t0 = now_s(), c0 = cpu_s(), deadline = t0 + seconds;

#define SEND_SLOT(i)                                                          \
  do {                                                                        \
    reqs[i].seq = next_seq++;                                                 \
    build_request(out, reqs[i].seq, (uint32_t)(i));                           \
    reqs[i].sent_at = now_s();                                                \
    reqs[i].active = 1;                                                       \
    if (send(fd, out, request_length(reqs[i].seq), 0) < 0) send_fail++;      \
    sent++;                                                                   \
  } while (0)

  for (int i = 0; i < outstanding; i++) SEND_SLOT(i);
  for (;;) {
    double t = now_s();
    int stopping = t >= deadline, active = 0;
    for (int i = 0; i < outstanding; i++) {
      if (reqs[i].active && t - reqs[i].sent_at > UDP_TIMEOUT) {
        lost++;
        reqs[i].active = 0;
        if (!stopping) SEND_SLOT(i);
      }
      active += reqs[i].active;
    }
    if (stopping && active == 0) break;
    struct epoll_event got;
    if (epoll_wait(ep, &got, 1, 5) <= 0) continue;
    for (;;) {
      ssize_t r = recv(fd, rbuf, READ_SIZE, 0);
      if (r < 0) {
        if (errno == ECONNREFUSED) {
          refused++;
          continue;
        }
        break;
      }
      if (r < 12) {
        bad++;
        continue;
      }
      uint64_t seq;
      uint32_t slot;
      memcpy(&seq, rbuf, 8);
      memcpy(&slot, rbuf + 8, 4);
      if (seq == 0 || seq >= next_seq || slot >= (uint32_t)outstanding ||
          (size_t)r != request_length(seq)) {
        bad++; /* not one of ours, or not exactly one request's bytes */
        continue;
      }
      build_request(expect, seq, slot);
      if (memcmp(rbuf, expect, (size_t)r) != 0) {
        bad++;
        continue;
      }
      if (!reqs[slot].active || reqs[slot].seq != seq) {
        late++; /* answered after it was counted lost, or twice */
        continue;
      }
      received++;
      if (count < cap) lat[count++] = (uint32_t)((now_s() - reqs[slot].sent_at) * 1e6);
      reqs[slot].active = 0;
      if (now_s() < deadline) SEND_SLOT(slot);
    }
  }
  double t1 = now_s(), c1 = cpu_s();
  qsort(lat, count, sizeof *lat, cmp_u32);
  printf("{\"sent\":%ld,\"received\":%ld,\"lost\":%ld,\"bad\":%ld,\"late\":%ld,\"refused\":%ld,"
         "\"send_fail\":%ld,\"seconds\":%.6f,\"p50_us\":%u,\"p99_us\":%u,\"cpu\":%.6f}\n",
         sent, received, lost, bad, late, refused, send_fail, t1 - t0,
         percentile(lat, count, 0.5), percentile(lat, count, 0.99), c1 - c0);
  return 0;
}

/* --------------------------------------------------------------- hold -- */

static int hold_mode(int count) {
  int *fds = malloc((size_t)count * sizeof *fds);
  int held = 0;
  long errors = 0;
  struct timeval tv = {.tv_sec = 5};
  double t0 = now_s();
  for (int i = 0; i < count; i++) {
    int fd = tcp_socket();
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char byte = 'x', back = 0;
    if (connect(fd, (struct sockaddr *)&target, sizeof target) < 0 || write(fd, &byte, 1) != 1 ||
        read(fd, &back, 1) != 1 || back != byte) {
      errors++;
      close(fd);
      continue;
    }
    fds[held++] = fd;
  }
  printf("{\"held\":%d,\"errors\":%ld,\"seconds\":%.6f}\n", held, errors, now_s() - t0);
  fflush(stdout);
  /* Hold them until the harness closes our stdin (or the alarm fires). */
  char line[64];
  while (read(0, line, sizeof line) > 0) {
  }
  for (int i = 0; i < held; i++) close(fds[i]);
  return 0;
}

/* --------------------------------------------------------------- main -- */

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: loadgen tcp|rate|udp|hold HOST PORT ...\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  target.sin_family = AF_INET;
  target.sin_port = htons((uint16_t)atoi(argv[3]));
  if (inet_pton(AF_INET, argv[2], &target.sin_addr) != 1 ||
      (ntohl(target.sin_addr.s_addr) >> 24) != 127) {
    fprintf(stderr, "loadgen: %s is not an IPv4 loopback address\n", argv[2]);
    return 2;
  }
  fill_pattern();
  const char *mode = argv[1];
  if (strcmp(mode, "tcp") == 0 && argc == 8) {
    double seconds = atof(argv[5]);
    alarm((unsigned)seconds + 60);
    return tcp_mode(atoi(argv[4]), seconds, (size_t)atol(argv[6]), (uint64_t)atol(argv[7]));
  }
  if (strcmp(mode, "rate") == 0 && argc == 8) {
    double seconds = atof(argv[5]);
    sources = (unsigned)atoi(argv[7]);
    if (sources > 250) sources = 250;
    alarm((unsigned)seconds + 60);
    return rate_mode(atoi(argv[4]), seconds, (size_t)atol(argv[6]));
  }
  if (strcmp(mode, "udp") == 0 && argc == 6) {
    double seconds = atof(argv[5]);
    alarm((unsigned)seconds + 60);
    return udp_mode(atoi(argv[4]), seconds);
  }
  if (strcmp(mode, "hold") == 0 && argc == 5) {
    alarm(300);
    return hold_mode(atoi(argv[4]));
  }
  fprintf(stderr, "loadgen: bad arguments for mode %s\n", mode);
  return 2;
}
