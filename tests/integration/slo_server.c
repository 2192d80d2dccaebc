/* A scripted HTTP server for the SLO search's test (test_loadgen_search.sh):
 * fast below a known request rate, slow above it.
 *
 *   slo_server --addr A --port P --knee R --delay-ms D
 *
 * It counts the requests that arrived in the last second; while that count
 * is at most R it answers each request at once, above R it holds every
 * answer for D ms. The latency-throughput curve thus has its knee at exactly
 * R req/s, and a search (loadgen --search) must find it. One thread, epoll,
 * keep-alive, a fixed 2-byte 200 answer; a request is whatever ends with an
 * empty line. Prints "ready" when listening, and "stats requests=N
 * delayed=M" on SIGTERM/SIGINT. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 65536
#define WINDOW_NS 1000000000ull
#define RING (1u << 22) /* arrivals remembered: up to 4M req/s */
#define QUEUE (1u << 20)

static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct conn {
	unsigned gen;     /* bumped on close: a queued answer for an old connection is dropped */
	int match;        /* how much of "\r\n\r\n" the stream ends with */
	int pending;      /* answers queued and not yet sent */
};

struct held { int fd; unsigned gen; uint64_t due; };

static struct conn conns[MAX_FDS];
static uint64_t *arrivals;
static uint32_t a_head, a_tail; /* ring of arrival times, oldest at a_head */
static struct held *queue;
static uint32_t q_head, q_tail;
static uint64_t served, delayed;

static void die(const char *what)
{
	fprintf(stderr, "slo_server: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void close_conn(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	conns[fd].gen++;
	conns[fd].match = 0;
	conns[fd].pending = 0;
}

static void send_answer(int ep, int fd)
{
	if (send(fd, answer, sizeof(answer) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(answer) - 1))
		close_conn(ep, fd); /* a 2-byte body never fills a socket: a peer gone */
	else
		served++;
}

/* Arrivals in the last second, this one included. */
static uint32_t rate_now(uint64_t t)
{
	arrivals[a_tail++ & (RING - 1)] = t;
	while (a_head != a_tail && arrivals[a_head & (RING - 1)] + WINDOW_NS <= t)
		a_head++;
	return a_tail - a_head;
}

static void on_request(int ep, int fd, uint64_t knee, uint64_t delay_ns)
{
	uint64_t t = now_ns();
	uint32_t n = rate_now(t);
	if (n <= knee && !conns[fd].pending) {
		send_answer(ep, fd);
		return;
	}
	/* Held (or behind a held one on its connection: answers stay in order). */
	uint64_t due = n > knee ? t + delay_ns : t;
	if (q_tail != q_head && queue[(q_tail - 1) & (QUEUE - 1)].due > due)
		due = queue[(q_tail - 1) & (QUEUE - 1)].due; /* the queue stays sorted */
	if (q_tail - q_head == QUEUE) {
		close_conn(ep, fd);
		return;
	}
	queue[q_tail++ & (QUEUE - 1)] = (struct held){ fd, conns[fd].gen, due };
	conns[fd].pending++;
	if (n > knee)
		delayed++;
}

static void release_due(int ep)
{
	uint64_t t = now_ns();
	while (q_head != q_tail && queue[q_head & (QUEUE - 1)].due <= t) {
		struct held h = queue[q_head++ & (QUEUE - 1)];
		if (conns[h.fd].gen != h.gen)
			continue;
		conns[h.fd].pending--;
		send_answer(ep, h.fd);
	}
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	int port = 8080;
	long knee = 0, delay_ms = 100;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--addr")) addr = argv[i + 1];
		else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--knee")) knee = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--delay-ms")) delay_ms = atol(argv[i + 1]);
		else {
			fprintf(stderr, "slo_server: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (knee <= 0 || delay_ms <= 0 || port <= 0 || port > 65535 || argc % 2 == 0) {
		fprintf(stderr, "usage: slo_server --addr A --port P --knee R --delay-ms D\n");
		return 2;
	}
	arrivals = malloc(RING * sizeof(*arrivals));
	queue = malloc(QUEUE * sizeof(*queue));
	if (!arrivals || !queue)
		die("malloc");
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ls < 0)
		die("socket");
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "slo_server: --addr %s: not an IPv4 address\n", addr);
		return 2;
	}
	if (bind(ls, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("bind");
	if (listen(ls, 4096) < 0)
		die("listen");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0)
		die("epoll_ctl");
	printf("ready addr=%s port=%d knee=%ld delay_ms=%ld\n", addr, port, knee, delay_ms);
	fflush(stdout);

	struct epoll_event evs[256];
	char buf[16384];
	while (!stop) {
		int timeout = -1;
		if (q_head != q_tail) {
			uint64_t due = queue[q_head & (QUEUE - 1)].due, t = now_ns();
			timeout = due > t ? (int)((due - t) / 1000000 + 1) : 0;
		}
		int n = epoll_wait(ep, evs, 256, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ls) {
				int c;
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					if (c >= MAX_FDS) {
						close(c);
						continue;
					}
					struct epoll_event cev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = c };
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) < 0)
						close(c);
				}
				continue;
			}
			ssize_t got = recv(fd, buf, sizeof(buf), 0);
			if (got <= 0) {
				if (got < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				close_conn(ep, fd);
				continue;
			}
			static const char end[] = "\r\n\r\n";
			unsigned gen = conns[fd].gen;
			for (ssize_t k = 0; k < got; k++) {
				struct conn *c = &conns[fd];
				c->match = buf[k] == end[c->match] ? c->match + 1 : buf[k] == '\r' ? 1 : 0;
				if (c->match == 4) {
					c->match = 0;
					on_request(ep, fd, (uint64_t)knee, (uint64_t)delay_ms * 1000000ull);
					if (conns[fd].gen != gen) /* closed */
						break;
				}
			}
		}
		release_due(ep);
	}
	printf("stats requests=%llu delayed=%llu\n", (unsigned long long)served, (unsigned long long)delayed);
	return 0;
}
