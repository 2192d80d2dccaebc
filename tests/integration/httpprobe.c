/* httpprobe: the integration suite's raw-socket client.
 *
 *   httpprobe exchange ADDR PORT REQFILE [TIMEOUT_S [BODY_DIR]]
 *       Connects, writes all of REQFILE in ONE write (so several requests in
 *       it are pipelined), reads until the server closes or TIMEOUT_S
 *       (default 5) passes, then prints one line per response:
 *           response N status S content-length L body B connection C
 *       and a last line "end closed|reset|timeout bytes N trailing T", where
 *       trailing counts bytes after the last complete response. Methods are
 *       read back from REQFILE so HEAD responses are parsed without a body.
 *       BODY_DIR receives each body as N.body. Exit: 0 closed by the server,
 *       3 still open at the timeout, 4 reset, 1 error.
 *
 *   httpprobe hold ADDR PORT N SECONDS [PARTIAL_EVERY]
 *       Opens N connections (every PARTIAL_EVERY-th also sends half a request
 *       line, like a slow client), prints "held N" once all are established,
 *       then watches them for SECONDS (or until SIGTERM) and prints
 *       "closed K of N first_ms F last_ms L": how many the server closed and
 *       when, counted from "held". Exit 0, or 1 if a connect failed.
 *
 * curl cannot send malformed requests, pipeline, or hold idle sockets
 * cheaply; bash's /dev/tcp cannot tell a close from a reset or a timeout. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "httpprobe"
#define MAX_REQUESTS 64

static void fail(const char *what)
{
	fprintf(stderr, PROG ": %s: %s\n", what, strerror(errno));
	exit(1);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct sockaddr_in parse_addr(const char *addr, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char *end;
	long p = strtol(port, &end, 10);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 || *end || p < 1 || p > 65535) {
		fprintf(stderr, PROG ": bad address %s:%s\n", addr, port);
		exit(1);
	}
	sa.sin_port = htons((uint16_t)p);
	return sa;
}

static int connect_to(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail("socket");
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
		fail("connect");
	return fd;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail(path);
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			fail("malloc");
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
	}
	if (ferror(f))
		fail(path);
	fclose(f);
	*len = n;
	return buf;
}

static const char *find(const char *p, const char *end, const char *needle)
{
	size_t k = strlen(needle);
	if ((size_t)(end - p) < k)
		return NULL;
	return memmem(p, (size_t)(end - p), needle, k);
}

/* Which of the pipelined requests are HEAD (their responses have no body).
 * Requests are split at a blank line; a Content-Length body is skipped. */
static int request_is_head(const char *req, size_t len, bool head[MAX_REQUESTS])
{
	const char *p = req, *end = req + len;
	int n = 0;
	while (p < end && n < MAX_REQUESTS) {
		head[n++] = (size_t)(end - p) >= 5 && memcmp(p, "HEAD ", 5) == 0;
		const char *hend = find(p, end, "\r\n\r\n");
		if (!hend)
			break;
		const char *cl = NULL;
		for (const char *h = p; h && h < hend; h = find(h, hend, "\n")) {
			if (*h == '\n')
				h++;
			if (hend - h > 15 && strncasecmp(h, "content-length:", 15) == 0)
				cl = h + 15;
		}
		p = hend + 4 + (cl ? strtoul(cl, NULL, 10) : 0);
	}
	return n;
}

/* Value of header `name` in head[0..len), copied into out; "" when absent. */
static void header(const char *head, const char *hend, const char *name, char *out, size_t outlen)
{
	size_t k = strlen(name);
	out[0] = '\0';
	for (const char *h = find(head, hend, "\r\n"); h && h < hend; h = find(h + 2, hend, "\r\n")) {
		const char *line = h + 2;
		if (hend - line > (long)k && strncasecmp(line, name, k) == 0 && line[k] == ':') {
			const char *v = line + k + 1, *e = find(v, hend + 2, "\r\n");
			while (v < e && *v == ' ')
				v++;
			size_t n = (size_t)(e - v) < outlen - 1 ? (size_t)(e - v) : outlen - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return;
		}
	}
}

static void write_body(const char *dir, int n, const char *body, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%d.body", dir, n);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(body, 1, len, f) != len || fclose(f) != 0)
		fail(path);
}

static int cmd_exchange(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, PROG ": usage: exchange ADDR PORT REQFILE [TIMEOUT_S [BODY_DIR]]\n");
		return 1;
	}
	struct sockaddr_in sa = parse_addr(argv[2], argv[3]);
	size_t reqlen;
	char *req = read_file(argv[4], &reqlen);
	double timeout_s = argc > 5 ? atof(argv[5]) : 5;
	const char *body_dir = argc > 6 ? argv[6] : NULL;
	bool head[MAX_REQUESTS];
	int nreq = request_is_head(req, reqlen, head);

	int fd = connect_to(&sa);
	/* One write: the requests reach the server together (pipelining). */
	ssize_t w = send(fd, req, reqlen, MSG_NOSIGNAL);
	if (w < 0 && errno != ECONNRESET && errno != EPIPE)
		fail("send");

	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		fail("malloc");
	const char *how = "timeout";
	long long deadline = now_ms() + (long long)(timeout_s * 1000);
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			break;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno != EINTR)
			fail("poll");
		if (r <= 0)
			continue;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				fail("realloc");
		}
		ssize_t n = recv(fd, buf + len, cap - len, 0);
		if (n == 0) {
			how = "closed";
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET) {
				how = "reset";
				break;
			}
			fail("recv");
		}
		len += (size_t)n;
	}
	close(fd);

	const char *p = buf, *end = buf + len;
	int i = 0;
	while (p < end) {
		const char *hend = find(p, end, "\r\n\r\n");
		int status = 0;
		if (!hend || sscanf(p, "HTTP/1.%*1d %3d", &status) != 1)
			break;
		char cl[32], conn[64];
		header(p, hend, "Content-Length", cl, sizeof(cl));
		header(p, hend, "Connection", conn, sizeof(conn));
		const char *body = hend + 4;
		size_t blen;
		if (i < nreq && head[i])
			blen = 0;
		else if (cl[0])
			blen = strtoul(cl, NULL, 10);
		else
			blen = (size_t)(end - body); /* no length: body runs to the close */
		if (blen > (size_t)(end - body))
			break; /* truncated body: counted as trailing below */
		i++;
		printf("response %d status %d content-length %s body %zu connection %s\n", i,
		       status, cl[0] ? cl : "-", blen, conn[0] ? conn : "-");
		if (body_dir)
			write_body(body_dir, i, body, blen);
		p = body + blen;
	}
	printf("end %s bytes %zu trailing %zu\n", how, len, (size_t)(end - p));
	free(buf);
	free(req);
	return strcmp(how, "closed") == 0 ? 0 : strcmp(how, "reset") == 0 ? 4 : 3;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_hold(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, PROG ": usage: hold ADDR PORT N SECONDS [PARTIAL_EVERY]\n");
		return 1;
	}
	struct sockaddr_in sa = parse_addr(argv[2], argv[3]);
	int n = atoi(argv[4]);
	double seconds = atof(argv[5]);
	int partial_every = argc > 6 ? atoi(argv[6]) : 0;
	if (n < 1 || n > 100000 || seconds <= 0) {
		fprintf(stderr, PROG ": hold: bad N or SECONDS\n");
		return 1;
	}

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			fail("setrlimit RLIMIT_NOFILE");
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	struct pollfd *pfd = calloc((size_t)n, sizeof(*pfd));
	if (!pfd)
		fail("calloc");
	for (int i = 0; i < n; i++) {
		pfd[i].fd = connect_to(&sa);
		pfd[i].events = POLLIN | POLLRDHUP;
		if (partial_every > 0 && i % partial_every == 0) {
			static const char half[] = "GET /index.html HT";
			if (send(pfd[i].fd, half, sizeof(half) - 1, MSG_NOSIGNAL) < 0)
				fail("send");
		}
	}
	printf("held %d\n", n);
	fflush(stdout);

	long long start = now_ms(), deadline = start + (long long)(seconds * 1000);
	long long first = -1, last = -1;
	int closed = 0;
	while (!stop && closed < n) {
		long long left = deadline - now_ms();
		if (left <= 0)
			break;
		int r = poll(pfd, (nfds_t)n, left > 200 ? 200 : (int)left);
		if (r < 0 && errno != EINTR)
			fail("poll");
		for (int i = 0; r > 0 && i < n; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			char tmp[4096];
			ssize_t got = recv(pfd[i].fd, tmp, sizeof(tmp), MSG_DONTWAIT);
			if (got > 0)
				continue; /* e.g. a 408 before the close: keep reading */
			if (got < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			close(pfd[i].fd);
			pfd[i].fd = -1; /* poll ignores negative descriptors */
			long long t = now_ms() - start;
			if (first < 0)
				first = t;
			last = t;
			closed++;
		}
	}
	printf("closed %d of %d first_ms %lld last_ms %lld\n", closed, n, first, last);
	for (int i = 0; i < n; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	free(pfd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "exchange") == 0)
		return cmd_exchange(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "hold") == 0)
		return cmd_hold(argc, argv);
	fprintf(stderr, PROG ": usage: httpprobe exchange|hold ... (see the source's header)\n");
	return 1;
}
