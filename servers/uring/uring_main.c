/* httpd-uring: options, worker start-up and the counters at exit. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "parse_size.h"
#include "uring.h"

static int opt_zerocopy(void *cfg, const char *value, char *err, size_t errlen)
{
	(void)value, (void)err, (void)errlen;
	((struct uring_config *)cfg)->zerocopy = true;
	return 0;
}

static int opt_zc_threshold(void *cfg, const char *value, char *err, size_t errlen)
{
	return parse_size(value, 1, 1ULL << 30, &((struct uring_config *)cfg)->zc_threshold, err, errlen);
}

static int opt_buf_size(void *cfg, const char *value, char *err, size_t errlen)
{
	return parse_size(value, 512, 1 << 20, &((struct uring_config *)cfg)->buf_size, err, errlen);
}

static int opt_buf_count(void *cfg, const char *value, char *err, size_t errlen)
{
	return parse_pow2(value, 16, 32768, &((struct uring_config *)cfg)->buf_count, err, errlen);
}

static int opt_sq_entries(void *cfg, const char *value, char *err, size_t errlen)
{
	return parse_pow2(value, 64, 32768, &((struct uring_config *)cfg)->sq_entries, err, errlen);
}

static int opt_busy_poll(void *cfg, const char *value, char *err, size_t errlen)
{
	return server_parse_busy_poll(value, &((struct uring_config *)cfg)->busy_poll_us, err, errlen);
}

static int opt_steer(void *cfg, const char *value, char *err, size_t errlen)
{
	return server_parse_steer(value, &((struct uring_config *)cfg)->steer_cpu, err, errlen);
}

static const struct engine_option uring_options[] = {
	{ "steer", 1, "cpu | hash: which worker a new connection goes to (default hash; see below)", opt_steer },
	{ "busy-poll", 1, "busy-poll the receive path for up to USECS while waiting (Linux 6.9+; see below)",
	  opt_busy_poll },
	{ "zerocopy", 0, "send bodies of at least --zc-threshold bytes with SEND_ZC (see below)",
	  opt_zerocopy },
	{ "zc-threshold", 1, "body size from which --zerocopy applies (default 16K)", opt_zc_threshold },
	{ "buf-size", 1, "size of each provided receive buffer (default 4K)", opt_buf_size },
	{ "buf-count", 1, "provided receive buffers per worker, a power of two (default 1024)",
	  opt_buf_count },
	{ "sq-entries", 1, "submission queue entries per ring, a power of two (default 1024)",
	  opt_sq_entries },
	{ NULL, 0, NULL, NULL },
};

static const char uring_help[] =
	"One io_uring per worker thread, pinned by --cpus, each with its own\n"
	"SO_REUSEPORT listener; rings are created with SINGLE_ISSUER | DEFER_TASKRUN\n"
	"| COOP_TASKRUN | SUBMIT_ALL (falling back, with a notice, where the kernel\n"
	"refuses one) and a registered ring fd. Connections are accepted by a\n"
	"multishot accept straight into a registered sparse file table, read by a\n"
	"multishot recv from a provided-buffer ring (parsed in place; only a request\n"
	"split across buffers is copied), answered with SENDMSG of head + date slot +\n"
	"body (short sends resume where they stopped), and shut down/closed through\n"
	"the ring; submissions are batched into one io_uring_enter per loop. The\n"
	"features in use are printed on stderr at start.\n"
	"\n"
	"Connection cap: a connection over --max-conns is accepted, sent a 503 and\n"
	"closed at once (counted as `rejected`). Idle timeout: a timer sweeps idle\n"
	"connections every min(timeout/4, 250 ms); it is armed only while there are\n"
	"connections, so an idle server uses no CPU. A reply that closes carries our\n"
	"FIN (a shutdown linked to its send); the connection is then drained until\n"
	"the client's FIN, for up to 2 s, and closed.\n"
	"\n"
	"--zerocopy: SEND_ZC sends the body from the page cache without copying it\n"
	"into the socket, but the kernel holds the pages until the peer acknowledges\n"
	"them, so a connection is closed only after all its notifications (CQEs with\n"
	"IORING_CQE_F_NOTIF) arrived. It does not pay on this suite's veth topology:\n"
	"frames crossing into the local stack are copied anyway (every notification\n"
	"reports IORING_NOTIF_USAGE_ZC_COPIED; the counts are printed at exit) and\n"
	"1 MiB pages ran about 10-15% slower than plain SENDMSG. It is meant for a\n"
	"real NIC, where the receiver is another host.\n"
	"Busy polling (--busy-poll USECS): while a worker waits for completions the\n"
	"kernel polls the NAPI contexts of its sockets for up to USECS instead of\n"
	"sleeping (IORING_REGISTER_NAPI, prefer_busy_poll, dynamic tracking). It burns\n"
	"CPU when load is light, and needs a NAPI context under the sockets (a NIC\n"
	"queue; on veth, GRO or XDP on the interface). A kernel without it (before\n"
	"6.9) gets one line and exit 1.\n"
	SERVER_STEER_HELP;

/* On the worker's thread: the ring belongs to the thread that made it
 * (SINGLE_ISSUER). A failed set-up undoes itself: main exits after it. */
static int worker_setup(void *arg, char *err, size_t errlen)
{
	struct worker *w = arg;

	if (uring_worker_setup(w, err, errlen) == 0)
		return 0;
	uring_worker_teardown(w);
	return -1;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	uring_worker_run(w);
	uring_worker_teardown(w);
	return NULL;
}

int main(int argc, char **argv)
{
	struct uring_config cfg = {
		.zc_threshold = 16 << 10,
		.buf_size = 4096,
		.buf_count = 1024,
		.sq_entries = 1024,
	};
	const struct engine_desc desc = {
		.name = "httpd-uring",
		.summary = "HTTP server, one io_uring per worker (multishot accept/recv, direct descriptors).",
		.help_extra = uring_help,
		.options = uring_options,
		.cfg = &cfg,
	};
	struct server_options o;
	struct page_cache *pc;
	struct worker *workers;
	struct server_stats *stats;
	int fds[SERVER_MAX_WORKERS];
	char line[512], details[112], extra[SERVER_MAX_WORKERS * 21 + 192];
	uint64_t enobufs = 0, zc_sends = 0, zc_copied = 0;

	server_options_parse(&o, argc, argv, &desc);
	pc = server_load_pages(&o);
	server_install_signals();
	long nofile = server_raise_nofile();
	workers = calloc((size_t)o.workers, sizeof(*workers));
	stats = calloc((size_t)o.workers, sizeof(*stats));
	if (!workers || !stats)
		server_die_errno(&o, "calloc workers");
	server_listen_group(&o, SERVER_LISTEN_REUSEPORT | (cfg.steer_cpu ? SERVER_LISTEN_CPU_LOCAL : 0),
			    o.workers, fds);
	/* Accepted sockets inherit TCP_NODELAY from their listener: a reply's
	 * last partial segment never waits for an ACK, at no per-connection cost. */
	for (int i = 0; i < o.workers; i++)
		if (setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int)) < 0)
			server_die_errno(&o, "setsockopt TCP_NODELAY");

	for (int i = 0; i < o.workers; i++) {
		struct worker *w = &workers[i];

		w->index = i;
		w->o = &o;
		w->cfg = &cfg;
		w->pc = pc;
		w->listen_fd = fds[i];
	}
	const struct server_worker_fns fns = { .setup = worker_setup, .run = worker_run };
	struct server_workers *ws = server_workers_start(&o, o.workers, &fns, workers, sizeof(*workers));

	/* Notes on stderr, as every server prints them: "<prog>: note: ...". */
	if (workers[0].feat.notice[0])
		fprintf(stderr, "%s: note: %s\n", o.prog, workers[0].feat.notice);
	uring_format_features(&workers[0], line, sizeof(line));
	fprintf(stderr, "%s: note: %s\n", o.prog, line);
	snprintf(details, sizeof(details), "zerocopy=%s nofile=%ld busy_poll_us=%u steer=%s",
		 cfg.zerocopy ? "on" : "off", nofile, cfg.busy_poll_us, cfg.steer_cpu ? "cpu" : "hash");
	server_ready(&o, details);

	server_workers_join(ws);
	for (int i = 0; i < o.workers; i++) {
		stats[i] = workers[i].stats;
		enobufs += workers[i].enobufs;
		zc_sends += workers[i].zc_sends;
		zc_copied += workers[i].zc_copied;
	}
	/* The engine's own counters ride on the stats line, like every engine's. */
	size_t used = (size_t)snprintf(extra, sizeof(extra),
				       "uring_recv_enobufs=%" PRIu64 " uring_zc_sends=%" PRIu64
				       " uring_zc_copied=%" PRIu64 " ",
				       enobufs, zc_sends, zc_copied);
	server_format_per_worker(extra + used, sizeof(extra) - used, "uring_accepted_per_worker", stats,
				 o.workers);
	server_print_stats(&o, stats, o.workers, extra);
	free(stats);
	free(workers);
	page_cache_free(pc);
	return server_exit_code(&o);
}
