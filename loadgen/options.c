/* loadgen's command line: see options.h and --help. */
#include "options.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu_list.h"
#include "share.h"

static const char usage[] =
	"usage: loadgen --url http://HOST[:PORT][/path] [options]\n"
	"\n"
	"HTTP/1.1 load generator: closed loop (default) or open loop (--rate), latency\n"
	"from the intended send time, a log-linear histogram, its own CPU cost.\n"
	"\n"
	"Target\n"
	"  --url URL              server and, without --paths, the one path to request\n"
	"  --paths FILE           index of URI paths (one per line), picked uniformly at random\n"
	"  --seed N               random seed for --paths (default 1)\n"
	"  --verify DIR           check every 2xx body against DIR/<path> (length + hash);\n"
	"                         \"/\" and \"/dir/\" mean index.html\n"
	"Load\n"
	"  --threads N            worker threads, one event loop each (default 1)\n"
	"  --engine epoll|uring   how each thread does its I/O: epoll (default; a send and a\n"
	"                         read per request) or io_uring (multishot receive into a\n"
	"                         provided buffer ring, sends batched: one io_uring_enter per\n"
	"                         loop turn; Linux 6.0+). Both measure the same things\n"
	"  --cpus LIST            pin thread i to the i-th CPU of LIST, e.g. 1 or 2-3,6\n"
	"  --connections N        connections across all threads (default 10)\n"
	"  --mode keepalive|close keep connections (default), or one connection per request,\n"
	"                         sent with Connection: close: the server closes first,\n"
	"                         loadgen after the server's FIN (as ab and h2load do)\n"
	"  --requests-per-conn K  keepalive: reconnect after K requests (default: no cap)\n"
	"  --linger0              loadgen closes each connection with RST; in close mode\n"
	"                         no Connection: close is sent (no TIME_WAIT on either side)\n"
	"  --source ADDR[,ADDR]   bind connections to these local addresses, round robin\n"
	"  --pipeline D           requests in flight per connection (default 1)\n"
	"  --rate R               open loop: R requests/s in total, sent on schedule whatever\n"
	"                         the responses do; latency counts from the intended send time\n"
	"  --max-send-lag T       open loop: a p99 send lag (due time to hand-over to a\n"
	"                         connection) above T marks the run client-bound (default 1ms:\n"
	"                         20x the kernel's 50 us timer slack, above a healthy client's\n"
	"                         wake-up jitter, yet a lag that adds up to 1 ms to the p99\n"
	"                         latency, which is then the client's, not the server's)\n"
	"SLO (docs/csv-schema.md: slo, slo_verdict, search_*; loadgen/README.md)\n"
	"  --slo pP=T             a latency target, e.g. p99=2ms, p99.9=500us, p50=1s (units\n"
	"                         ns us ms s); each row says whether it held: a window passes\n"
	"                         only with the percentile within T, no failed request and\n"
	"                         a client that kept its schedule; needs --rate or --search\n"
	"  --search               with --slo: find the highest open-loop rate at which the SLO\n"
	"                         holds. One full window (warm-up + duration) per step: x growth\n"
	"                         from the start rate until a step fails, then bisection, then\n"
	"                         the last pass and the first fail again; a row per step, the\n"
	"                         knee on stderr and as a last row (search_phase knee)\n"
	"  --search-start R       first rate, req/s (default 1000)\n"
	"  --search-max R         never above R req/s; the SLO holding there ends the search\n"
	"                         (default 10000000)\n"
	"  --search-growth G      exponential phase: x G per step, 1.1..16 (default 2)\n"
	"  --search-precision P   stop bisecting when the first fail is within P% of the last\n"
	"                         pass, 0.1..100 (default 5)\n"
	"  --search-steps N       at most N windows in all, repeats included, 1..200 (default 30)\n"
	"  --search-repeats K     extra windows at the last pass and the first fail, 0..10\n"
	"                         (default 1); a rate passes only if all its windows pass\n"
	"Time (seconds, decimals allowed, or with an ms or us suffix)\n"
	"  --duration S           measured time (default 10)\n"
	"  --warmup S             load before the measurement, not counted (default 0)\n"
	"  --timeout S            a request or connect not done after S is a timeout (default 5);\n"
	"                         at the end loadgen waits at most S for requests in flight\n"
	"Output\n"
	"  --progress, --no-progress  a line per interval on stderr: requests/s, p50/p99, failures,\n"
	"                         loadgen CPU (default: if stderr is a tty)\n"
	"  --timeline FILE        append a row per interval: requests, failures by kind,\n"
	"                         p50/p90/p99/max latency, loadgen CPU (docs/csv-schema.md)\n"
	"  --interval S           interval of --timeline and --progress (default 1, at least 100ms)\n"
	"  --csv FILE             append one row (columns: docs/csv-schema.md); header if new\n"
	"  --json                 print the row as one JSON object on stdout (no summary)\n"
	"  --quiet                no human summary\n"
	"  --label KEY=VALUE      fill a metadata column (server, mtu, page_set, ...); other\n"
	"                         keys go to the labels column\n"
	"  --server-cpus LIST     sample these CPUs in /proc/stat: server user/sys/softirq/idle\n"
	"                         and CPU time per request\n"
	"  --server-pid PID       the server process's own CPU time per request\n"
	"Several client hosts (each runs the same command but for --share; then\n"
	"`loadgen merge FILE...` makes the run's one row: loadgen merge --help)\n"
	"  --share I/N            this is host I of N (1..N): it opens its share of\n"
	"                         --connections and sends every N-th request of the --rate\n"
	"                         schedule, so the N hosts together are one client's load\n"
	"  --start-at T           start at T, in seconds since the epoch (CLOCK_REALTIME,\n"
	"                         decimals allowed), so that all hosts start together;\n"
	"                         more than 5 s in the past is an error\n"
	"  --hist-out FILE        write the run's histograms, counters, window and CPU\n"
	"                         figures to FILE for loadgen merge (docs/hist-format.md)\n"
	"  --help\n"
	"\n"
	"Exit status: 0 after a run (errors are counted, not fatal), 1 when the run could\n"
	"not start (unreachable target, unreadable index or pages), 2 on a bad option,\n"
	"130 when a --search was interrupted (its finished steps' rows are written, no knee).\n";

enum {
	OPT_URL = 256, OPT_PATHS, OPT_SEED, OPT_VERIFY, OPT_THREADS, OPT_CPUS, OPT_CONNECTIONS,
	OPT_MODE, OPT_RPC, OPT_LINGER0, OPT_SOURCE, OPT_PIPELINE, OPT_RATE, OPT_DURATION,
	OPT_WARMUP, OPT_TIMEOUT, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_CSV, OPT_JSON, OPT_QUIET,
	OPT_LABEL, OPT_SERVER_CPUS, OPT_SERVER_PID, OPT_MAX_SEND_LAG, OPT_TIMELINE, OPT_INTERVAL,
	OPT_HELP,
	OPT_SLO, OPT_SEARCH, OPT_SEARCH_START, OPT_SEARCH_MAX, OPT_SEARCH_GROWTH, OPT_SEARCH_PRECISION,
	OPT_SEARCH_STEPS, OPT_SEARCH_REPEATS,
	OPT_SHARE, OPT_START_AT, OPT_HIST_OUT,
	OPT_ENGINE,
};

static const struct option long_options[] = {
	{ "url", required_argument, NULL, OPT_URL },
	{ "paths", required_argument, NULL, OPT_PATHS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "verify", required_argument, NULL, OPT_VERIFY },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "connections", required_argument, NULL, OPT_CONNECTIONS },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "requests-per-conn", required_argument, NULL, OPT_RPC },
	{ "linger0", no_argument, NULL, OPT_LINGER0 },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "pipeline", required_argument, NULL, OPT_PIPELINE },
	{ "engine", required_argument, NULL, OPT_ENGINE },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "max-send-lag", required_argument, NULL, OPT_MAX_SEND_LAG },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "timeline", required_argument, NULL, OPT_TIMELINE },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "server-cpus", required_argument, NULL, OPT_SERVER_CPUS },
	{ "server-pid", required_argument, NULL, OPT_SERVER_PID },
	{ "slo", required_argument, NULL, OPT_SLO },
	{ "search", no_argument, NULL, OPT_SEARCH },
	{ "search-start", required_argument, NULL, OPT_SEARCH_START },
	{ "search-max", required_argument, NULL, OPT_SEARCH_MAX },
	{ "search-growth", required_argument, NULL, OPT_SEARCH_GROWTH },
	{ "search-precision", required_argument, NULL, OPT_SEARCH_PRECISION },
	{ "search-steps", required_argument, NULL, OPT_SEARCH_STEPS },
	{ "search-repeats", required_argument, NULL, OPT_SEARCH_REPEATS },
	{ "share", required_argument, NULL, OPT_SHARE },
	{ "start-at", required_argument, NULL, OPT_START_AT },
	{ "hist-out", required_argument, NULL, OPT_HIST_OUT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || !*s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A plain decimal number in [min, max]. */
static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	if (!s || !*s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int lg_parse_seconds(const char *s, double *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	if (!strcmp(end, "ms"))
		v /= 1000.0;
	else if (!strcmp(end, "us"))
		v /= 1e6;
	else if (*end && strcmp(end, "s"))
		return -1;
	*out = v;
	return 0;
}

int lg_parse_url(struct lg_options *o, const char *url, char *err, size_t errlen)
{
	const char *p;
	char port[8] = "80";

	if (!strncmp(url, "https://", 8)) {
		snprintf(err, errlen, "--url %s: https is not supported (plain HTTP/1.1 only)", url);
		return -1;
	}
	if (strncmp(url, "http://", 7)) {
		snprintf(err, errlen, "--url %s: expected http://HOST[:PORT][/path]", url);
		return -1;
	}
	p = url + 7;
	const char *host = p, *host_end;
	if (*p == '[') {
		host_end = strchr(p, ']');
		if (!host_end)
			goto bad;
		host++;
		p = host_end + 1;
	} else {
		p += strcspn(p, ":/?#");
		host_end = p;
	}
	size_t hlen = (size_t)(host_end - host);
	if (!hlen || hlen >= sizeof(o->host))
		goto bad;
	memcpy(o->host, host, hlen);
	o->host[hlen] = '\0';
	if (*p == ':') {
		p++;
		size_t n = strspn(p, "0123456789");
		uint64_t v;
		char num[8];
		if (!n || n >= sizeof(num))
			goto bad;
		memcpy(num, p, n);
		num[n] = '\0';
		if (parse_u64(num, 1, 65535, &v) < 0)
			goto bad;
		snprintf(port, sizeof(port), "%u", (unsigned)v);
		p += n;
	}
	if (*p && *p != '/')
		goto bad;
	if (!*p)
		p = "/";
	if (strlen(p) > PATH_MAX_LEN)
		goto bad;
	snprintf(o->url_path, sizeof(o->url_path), "%s", p);
	bool v6 = strchr(o->host, ':') != NULL;
	snprintf(o->host_header, sizeof(o->host_header), "%s%s%s%s%s", v6 ? "[" : "", o->host,
		 v6 ? "]" : "", strcmp(port, "80") ? ":" : "", strcmp(port, "80") ? port : "");

	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	int rc = getaddrinfo(o->host, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "--url %s: cannot resolve %s: %s", url, o->host, gai_strerror(rc));
		return -1;
	}
	memcpy(&o->target, res->ai_addr, res->ai_addrlen);
	o->target_len = res->ai_addrlen;
	char a[INET6_ADDRSTRLEN];
	if (res->ai_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, a, sizeof(a));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, a, sizeof(a));
	snprintf(o->target_str, sizeof(o->target_str), res->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 a, port);
	freeaddrinfo(res);
	return 0;
bad:
	snprintf(err, errlen, "--url %s: expected http://HOST[:PORT][/path]", url);
	return -1;
}

static int parse_sources(struct lg_options *o, const char *list, char *err, size_t errlen)
{
	char buf[1024];
	snprintf(o->sources_str, sizeof(o->sources_str), "%s", list);
	snprintf(buf, sizeof(buf), "%s", list);
	o->nsources = 0;
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->nsources == LG_MAX_SOURCES) {
			snprintf(err, errlen, "--source: more than %d addresses", LG_MAX_SOURCES);
			return -1;
		}
		struct sockaddr_storage *ss = &o->sources[o->nsources];
		memset(ss, 0, sizeof(*ss));
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET, tok, &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
		} else if (inet_pton(AF_INET6, tok, &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
		} else {
			snprintf(err, errlen, "--source: '%s' is not an IP address", tok);
			return -1;
		}
		o->nsources++;
	}
	if (!o->nsources) {
		snprintf(err, errlen, "--source: no address given");
		return -1;
	}
	return 0;
}

int lg_options_add_label(struct lg_options *o, char *kv, char *err, size_t errlen)
{
	char *eq = strchr(kv, '=');
	if (!eq || eq == kv) {
		snprintf(err, errlen, "--label '%s': expected KEY=VALUE", kv);
		return -1;
	}
	*eq = '\0';
	for (const char *k = kv; *k; k++)
		if (!(islower((unsigned char)*k) || isdigit((unsigned char)*k) || *k == '_')) {
			snprintf(err, errlen, "--label '%s': keys are lower-case letters, digits and _", kv);
			return -1;
		}
	for (const char *v = eq + 1; *v; v++)
		if ((unsigned char)*v < ' ' || *v == 0x7f) {
			snprintf(err, errlen, "--label %s: control character in the value", kv);
			return -1;
		}
	for (int i = 0; i < o->nlabels; i++)
		if (!strcmp(o->labels[i].key, kv)) {
			o->labels[i].value = eq + 1; /* the last one wins */
			return 0;
		}
	if (o->nlabels == LG_MAX_LABELS) {
		snprintf(err, errlen, "--label: more than %d labels", LG_MAX_LABELS);
		return -1;
	}
	o->labels[o->nlabels].key = kv;
	o->labels[o->nlabels].value = eq + 1;
	o->nlabels++;
	return 0;
}

const char *lg_label(const struct lg_options *o, const char *key)
{
	for (int i = 0; i < o->nlabels; i++)
		if (!strcmp(o->labels[i].key, key))
			return o->labels[i].value;
	return NULL;
}

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int lg_options_parse(struct lg_options *o, int argc, char **argv, char *err, size_t errlen)
{
	uint64_t v;
	char why[256];
	int c;

	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->threads = 1;
	o->connections = 10;
	o->mode = LG_KEEPALIVE;
	o->pipeline = 1;
	o->duration_s = 10;
	o->timeout_s = 5;
	o->max_send_lag_s = 0.001;
	o->progress = -1;
	o->interval_ns = 1000000000ull;
	o->server_pid = 0;
	double start = 1000, max = 1e7;
	o->search_p.growth = 2;
	o->search_p.precision = 0.05;
	o->search_p.max_steps = 30;
	o->search_p.repeats = 1;
	o->share_count = 1;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		const char *a = optarg;
		switch (c) {
		case OPT_URL: o->url = a; break;
		case OPT_PATHS: o->paths_file = a; break;
		case OPT_SEED:
			if (parse_u64(a, 0, UINT64_MAX, &o->seed) < 0)
				BAD("--seed '%s': expected a non-negative integer", a);
			break;
		case OPT_VERIFY: o->verify_dir = a; break;
		case OPT_THREADS:
			if (parse_u64(a, 1, LG_MAX_THREADS, &v) < 0)
				BAD("--threads '%s': expected 1..%d", a, LG_MAX_THREADS);
			o->threads = (int)v;
			break;
		case OPT_CPUS:
			if (cpu_list_parse(a, o->cpus, CPU_LIST_MAX, &o->ncpus, why, sizeof(why)) < 0)
				BAD("--cpus %s", why);
			snprintf(o->cpus_str, sizeof(o->cpus_str), "%s", a);
			break;
		case OPT_CONNECTIONS:
			if (parse_u64(a, 1, 1000000, &v) < 0)
				BAD("--connections '%s': expected 1..1000000", a);
			o->connections = (int)v;
			break;
		case OPT_MODE:
			if (!strcmp(a, "keepalive") || !strcmp(a, "keep-alive"))
				o->mode = LG_KEEPALIVE;
			else if (!strcmp(a, "close"))
				o->mode = LG_CLOSE;
			else
				BAD("--mode '%s': expected keepalive or close", a);
			break;
		case OPT_RPC:
			if (parse_u64(a, 1, UINT32_MAX, &o->requests_per_conn) < 0)
				BAD("--requests-per-conn '%s': expected a positive integer", a);
			break;
		case OPT_LINGER0: o->linger0 = true; break;
		case OPT_SOURCE:
			if (parse_sources(o, a, err, errlen) < 0)
				return -1;
			break;
		case OPT_ENGINE:
			if (!strcmp(a, "epoll"))
				o->engine = LG_ENGINE_EPOLL;
			else if (!strcmp(a, "uring") || !strcmp(a, "io_uring"))
				o->engine = LG_ENGINE_URING;
			else
				BAD("--engine '%s': expected epoll or uring", a);
			break;
		case OPT_PIPELINE:
			if (parse_u64(a, 1, LG_MAX_PIPELINE, &v) < 0)
				BAD("--pipeline '%s': expected 1..%d", a, LG_MAX_PIPELINE);
			o->pipeline = (int)v;
			break;
		case OPT_RATE: {
			char *end;
			errno = 0;
			double r = strtod(a, &end);
			if (errno || end == a || *end || !isfinite(r) || r < 0.001 || r > 1e9)
				BAD("--rate '%s': expected requests per second, 0.001..1e9", a);
			o->rate = r;
			o->rate_milli = (uint64_t)llround(r * 1000.0);
			break;
		}
		case OPT_DURATION:
			if (lg_parse_seconds(a, &o->duration_s) < 0 || o->duration_s <= 0 || o->duration_s > 1e6)
				BAD("--duration '%s': expected seconds > 0 (e.g. 10, 2.5, 500ms)", a);
			break;
		case OPT_WARMUP:
			if (lg_parse_seconds(a, &o->warmup_s) < 0 || o->warmup_s > 1e6)
				BAD("--warmup '%s': expected seconds >= 0", a);
			break;
		case OPT_TIMEOUT:
			if (lg_parse_seconds(a, &o->timeout_s) < 0 || o->timeout_s < 0.001 || o->timeout_s > 3600)
				BAD("--timeout '%s': expected seconds, 0.001..3600", a);
			break;
		case OPT_MAX_SEND_LAG:
			if (lg_parse_seconds(a, &o->max_send_lag_s) < 0 || o->max_send_lag_s > 3600)
				BAD("--max-send-lag '%s': expected a time, e.g. 1ms, 500us, 0.002", a);
			break;
		case OPT_PROGRESS: o->progress = 1; break;
		case OPT_NO_PROGRESS: o->progress = 0; break;
		case OPT_TIMELINE: o->timeline_file = a; break;
		case OPT_INTERVAL: {
			double s;
			/* Shorter intervals hold too few requests for a p99, and
			 * main would wake too often beside the workers. */
			if (lg_parse_seconds(a, &s) < 0 || llround(s * 1e9) < 100000000 || s > 3600)
				BAD("--interval '%s': expected 100ms to 3600 s (e.g. 1, 0.5, 250ms)", a);
			o->interval_ns = (uint64_t)llround(s * 1e9);
			break;
		}
		case OPT_CSV: o->csv_file = a; break;
		case OPT_JSON: o->json = true; break;
		case OPT_QUIET: o->quiet = true; break;
		case OPT_LABEL:
			if (lg_options_add_label(o, optarg, err, errlen) < 0)
				return -1;
			break;
		case OPT_SERVER_CPUS:
			if (cpu_list_parse(a, o->server_cpus, CPU_LIST_MAX, &o->nserver_cpus, why, sizeof(why)) < 0)
				BAD("--server-cpus %s", why);
			snprintf(o->server_cpus_str, sizeof(o->server_cpus_str), "%s", a);
			break;
		case OPT_SERVER_PID:
			if (parse_u64(a, 1, INT32_MAX, &v) < 0)
				BAD("--server-pid '%s': expected a process id", a);
			o->server_pid = (pid_t)v;
			break;
		case OPT_SLO:
			if (slo_parse(a, &o->slo, err, errlen) < 0)
				return -1;
			o->have_slo = true;
			break;
		case OPT_SEARCH: o->search = true; break;
		case OPT_SEARCH_START:
			if (parse_double(a, 1, 1e9, &start) < 0)
				BAD("--search-start '%s': expected requests per second, 1..1e9", a);
			break;
		case OPT_SEARCH_MAX:
			if (parse_double(a, 1, 1e9, &max) < 0)
				BAD("--search-max '%s': expected requests per second, 1..1e9", a);
			break;
		case OPT_SEARCH_GROWTH:
			if (parse_double(a, 1.1, 16, &o->search_p.growth) < 0)
				BAD("--search-growth '%s': expected a factor, 1.1..16", a);
			break;
		case OPT_SEARCH_PRECISION: {
			char num[32];
			size_t n = strlen(a);
			/* "5" or "5%" */
			snprintf(num, sizeof(num), "%.*s", (int)(n && a[n - 1] == '%' ? n - 1 : n), a);
			if (n >= sizeof(num) || parse_double(num, 0.1, 100, &o->search_p.precision) < 0)
				BAD("--search-precision '%s': expected a percentage, 0.1..100", a);
			o->search_p.precision /= 100;
			break;
		}
		case OPT_SEARCH_STEPS:
			if (parse_u64(a, 1, SEARCH_MAX_STEPS, &v) < 0)
				BAD("--search-steps '%s': expected 1..%d", a, SEARCH_MAX_STEPS);
			o->search_p.max_steps = (int)v;
			break;
		case OPT_SEARCH_REPEATS:
			if (parse_u64(a, 0, 10, &v) < 0)
				BAD("--search-repeats '%s': expected 0..10", a);
			o->search_p.repeats = (int)v;
			break;
		case OPT_SHARE:
			if (share_parse(a, &o->share_index, &o->share_count) < 0)
				BAD("--share '%s': expected I/N, host I of N (1 <= I <= N <= %d)", a, SHARE_MAX);
			break;
		case OPT_START_AT:
			if (start_at_parse(a, &o->start_at_ns, why, sizeof(why)) < 0)
				BAD("--start-at '%s': %s", a, why);
			break;
		case OPT_HIST_OUT: o->hist_out = a; break;
		case OPT_HELP:
			fputs(usage, stdout);
			return 1;
		case '?':
		default:
			if (optopt)
				BAD("option %s needs a value (see --help)", argv[optind - 1]);
			BAD("unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		BAD("unexpected argument '%s' (see --help)", argv[optind]);
	if (!o->url)
		BAD("--url is required (e.g. --url http://198.18.0.1:8080/)");
	if (lg_parse_url(o, o->url, err, errlen) < 0)
		return -1;
	/* This host's share; the row of the whole run is loadgen merge's. */
	o->connections_total = o->connections;
	o->connections = share_connections(o->connections_total, o->share_index, o->share_count);
	o->rate /= o->share_count;
	if (o->share_count > 1 && o->connections < o->threads)
		BAD("--share %d/%d of --connections %d is %d connections, fewer than --threads %d: "
		    "every thread needs a connection", o->share_index + 1, o->share_count,
		    o->connections_total, o->connections, o->threads);
	if (o->connections < o->threads)
		BAD("--connections %d is fewer than --threads %d: every thread needs a connection",
		    o->connections, o->threads);
	if (o->mode == LG_CLOSE && o->pipeline > 1)
		BAD("--pipeline %d with --mode close: a close-mode connection carries one request",
		    o->pipeline);
	if (o->mode == LG_CLOSE && o->requests_per_conn)
		BAD("--requests-per-conn is for --mode keepalive (close mode is one request per connection)");
	for (int i = 0; i < o->nsources; i++)
		if (o->sources[i].ss_family != o->target.ss_family)
			BAD("--source: address %d is not of the target's address family", i + 1);
	if (o->search && !o->have_slo)
		BAD("--search needs --slo (e.g. --slo p99=2ms): the target the rate must meet");
	if (o->search && (o->share_count > 1 || o->hist_out))
		BAD("--search runs on one client host: --share and --hist-out are for one window");
	if (o->search && o->rate_milli)
		BAD("--search picks the rates itself: give --search-start instead of --rate");
	if (o->have_slo && !o->search && !o->rate_milli)
		BAD("--slo judges an open-loop run: add --rate R, or --search");
	if (start > max)
		BAD("--search-start %g is above --search-max %g", start, max);
	o->search_p.start_milli = (uint64_t)llround(start * 1000);
	o->search_p.max_milli = (uint64_t)llround(max * 1000);
	if (o->have_slo && o->slo.pct < 100) {
		/* The lowest rate whose window holds enough requests to judge the
		 * SLO's percentile (search.h). */
		double need = SEARCH_SAMPLES_BEYOND / (1 - o->slo.pct / 100);
		o->search_p.min_milli = (uint64_t)ceil(need / o->duration_s * 1000);
	}
	return 0;
}
