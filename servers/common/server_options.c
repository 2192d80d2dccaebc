/* The options every bin/httpd-* shares, plus the engine's own (server.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_list.h"
#include "parse_size.h"
#include "server.h"

#define DEFAULT_PORT 8080
#define DEFAULT_IDLE_TIMEOUT_MS 10000
#define DEFAULT_MAX_CONNS 10000
#define MAX_ENGINE_OPTIONS 32

enum {
	OPT_ADDR = 256,
	OPT_PORT,
	OPT_WORKERS,
	OPT_CPUS,
	OPT_CORPUS,
	OPT_IDLE_TIMEOUT,
	OPT_MAX_CONNS,
	OPT_QUIET,
	OPT_HELP,
	OPT_ENGINE_FIRST, /* engine option i is OPT_ENGINE_FIRST + i */
};

static const struct {
	const char *name;
	int has_arg;
	int id;
	const char *arg;
	const char *help;
} common_options[] = {
	{ "addr", 1, OPT_ADDR, "IPV4", "address to listen on (default 0.0.0.0)" },
	{ "port", 1, OPT_PORT, "PORT", "TCP port (default 8080)" },
	{ "workers", 1, OPT_WORKERS, "N", "worker threads (default 1, at most 256)" },
	{ "cpus", 1, OPT_CPUS, "LIST",
	  "CPUs to pin workers to, e.g. \"0,2-3\"; worker i gets the i-th (modulo the count) (default: no pinning)" },
	{ "corpus", 1, OPT_CORPUS, "DIR", "folder of pages to serve (required)" },
	{ "idle-timeout", 1, OPT_IDLE_TIMEOUT, "SECONDS",
	  "close a connection that completes no request and makes no send progress for this long; decimals allowed, 0 = never (default 10)" },
	{ "max-conns", 1, OPT_MAX_CONNS, "N", "open connections per worker (default 10000)" },
	{ "quiet", 0, OPT_QUIET, NULL, "do not print the counters at exit" },
	{ "help", 0, OPT_HELP, NULL, "show this help and exit" },
};
#define N_COMMON (sizeof(common_options) / sizeof(common_options[0]))

_Noreturn static void usage_error(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

_Noreturn static void usage_error(const char *prog, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s (see --help)\n", prog, msg);
	exit(SERVER_EXIT_USAGE);
}

static long parse_long(const char *prog, const char *opt, const char *s, long min, long max)
{
	char err[128];
	uint64_t v;

	if (parse_count(s, (uint64_t)min, (uint64_t)max, &v, err, sizeof(err)) < 0)
		usage_error(prog, "--%s '%s': %s", opt, s, err);
	return (long)v;
}

/* The CPUs this process may run on, as a sorted list, for error messages. */
static void format_allowed(const cpu_set_t *allowed, char *buf, size_t len)
{
	int list[CPU_SETSIZE], n = 0;

	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, allowed))
			list[n++] = c;
	cpu_list_format(list, n, buf, len);
}

/* "0,2-3" → cpus[] in the order given. Every CPU must be one this process
 * may run on, so pinning cannot fail later, after `ready`. */
static void parse_cpu_list(struct server_options *o, const char *s)
{
	cpu_set_t allowed;
	char err[256], allowed_str[256];

	if (cpu_list_parse(s, o->cpus, SERVER_MAX_WORKERS, &o->ncpus, err, sizeof(err)) < 0)
		usage_error(o->prog, "--cpus %s", err);
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0) {
		fprintf(stderr, "%s: sched_getaffinity: %s\n", o->prog, strerror(errno));
		exit(SERVER_EXIT_FAILURE);
	}
	for (int i = 0; i < o->ncpus; i++) {
		if (!CPU_ISSET(o->cpus[i], &allowed)) {
			format_allowed(&allowed, allowed_str, sizeof(allowed_str));
			usage_error(o->prog, "--cpus '%s': CPU %d is not available to this process (allowed: %s)",
				    s, o->cpus[i], allowed_str);
		}
	}
}

static int parse_idle_timeout(const char *prog, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !isfinite(v))
		usage_error(prog, "--idle-timeout '%s': not a number of seconds", s);
	if (v < 0 || v > 86400)
		usage_error(prog, "--idle-timeout %s: must be between 0 and 86400 seconds", s);
	if (v > 0 && v < 0.001)
		v = 0.001;
	return (int)(v * 1000 + 0.5);
}

/* "  --name ARG   help", the help wrapped at 79 columns under itself. */
static void print_option(const char *name, const char *arg, const char *help)
{
	enum { INDENT = 25, WIDTH = 79 };
	char left[64];
	int col;

	snprintf(left, sizeof(left), "--%s%s%s", name, arg ? " " : "", arg ? arg : "");
	col = printf("  %s", left);
	if (col >= INDENT - 1) {
		putchar('\n');
		col = 0;
	}
	printf("%*s", INDENT - col, "");
	col = INDENT;
	while (*help) {
		size_t word = strcspn(help, " ");
		if (col > INDENT && col + 1 + (int)word > WIDTH) {
			printf("\n%*s", INDENT, "");
			col = INDENT;
		} else if (col > INDENT) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)word, help);
		col += (int)word;
		help += word;
		while (*help == ' ')
			help++;
	}
	putchar('\n');
}

static void print_help(const struct engine_desc *e)
{
	printf("Usage: %s --corpus DIR [options]\n", e->name);
	if (e->summary)
		printf("%s\n", e->summary);
	printf("\nOptions every bypassbench server takes:\n");
	for (size_t i = 0; i < N_COMMON; i++)
		print_option(common_options[i].name, common_options[i].arg, common_options[i].help);
	if (e->options && e->options[0].name) {
		printf("\nOptions of %s:\n", e->name);
		for (const struct engine_option *eo = e->options; eo->name; eo++)
			print_option(eo->name, eo->has_arg ? "VALUE" : NULL, eo->help ? eo->help : "");
	}
	printf("\nPrints one line \"ready %s ADDR:PORT key=value ...\" on stdout once every\n"
	       "worker runs; SIGINT or SIGTERM stop it, and it then prints one line\n"
	       "\"stats requests=N ...\" on stdout (unless --quiet) and exits 0. Errors: one\n"
	       "line on stderr; exit 2 for a bad option, 1 for a failure to start or a\n"
	       "worker's failure while serving (docs/server-contract.md).\n",
	       e->name);
	if (e->help_extra)
		printf("\n%s\n", e->help_extra);
	fflush(stdout);
}

void server_options_parse(struct server_options *o, int argc, char **argv,
			  const struct engine_desc *engine)
{
	struct option longopts[N_COMMON + MAX_ENGINE_OPTIONS + 1];
	size_t n = 0, n_engine = 0;

	memset(o, 0, sizeof(*o));
	o->prog = engine->name;
	o->addr.s_addr = htonl(INADDR_ANY);
	o->port = DEFAULT_PORT;
	o->workers = 1;
	o->idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
	o->max_conns = DEFAULT_MAX_CONNS;

	for (size_t i = 0; i < N_COMMON; i++)
		longopts[n++] = (struct option){ common_options[i].name,
						 common_options[i].has_arg ? required_argument : no_argument,
						 NULL, common_options[i].id };
	for (const struct engine_option *eo = engine->options; eo && eo->name; eo++) {
		if (n_engine == MAX_ENGINE_OPTIONS) {
			fprintf(stderr, "%s: too many engine options (at most %d)\n", o->prog, MAX_ENGINE_OPTIONS);
			exit(SERVER_EXIT_FAILURE);
		}
		longopts[n++] = (struct option){ eo->name, eo->has_arg ? required_argument : no_argument,
						 NULL, (int)(OPT_ENGINE_FIRST + n_engine) };
		n_engine++;
	}
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };

	opterr = 0; /* we print our own one-line errors */
	optind = 1;
	for (;;) {
		int id = getopt_long(argc, argv, ":h", longopts, NULL);
		const char *arg = optarg;

		if (id == -1)
			break;
		switch (id) {
		case OPT_ADDR:
			if (inet_pton(AF_INET, arg, &o->addr) != 1)
				usage_error(o->prog, "--addr '%s': not an IPv4 address", arg);
			break;
		case OPT_PORT:
			o->port = (uint16_t)parse_long(o->prog, "port", arg, 1, 65535);
			break;
		case OPT_WORKERS:
			o->workers = (int)parse_long(o->prog, "workers", arg, 1, SERVER_MAX_WORKERS);
			break;
		case OPT_CPUS:
			parse_cpu_list(o, arg);
			break;
		case OPT_CORPUS:
			o->corpus = arg;
			break;
		case OPT_IDLE_TIMEOUT:
			o->idle_timeout_ms = parse_idle_timeout(o->prog, arg);
			break;
		case OPT_MAX_CONNS:
			o->max_conns = (int)parse_long(o->prog, "max-conns", arg, 1, 10000000);
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case 'h':
		case OPT_HELP:
			print_help(engine);
			exit(SERVER_EXIT_OK);
		case ':':
			usage_error(o->prog, "option %s needs a value", argv[optind - 1]);
		case '?':
			if (optopt)
				usage_error(o->prog, "unknown option -%c", optopt);
			usage_error(o->prog, "unknown or ambiguous option %s", argv[optind - 1]);
		default: {
			const struct engine_option *eo = &engine->options[id - OPT_ENGINE_FIRST];
			char err[256] = "";

			if (eo->handle(engine->cfg, arg, err, sizeof(err)) < 0)
				usage_error(o->prog, "--%s%s%s: %s", eo->name, arg ? " " : "", arg ? arg : "",
					    err[0] ? err : "bad value");
		}
		}
	}
	if (optind < argc)
		usage_error(o->prog, "unexpected argument '%s'", argv[optind]);
	if (!o->corpus)
		usage_error(o->prog, "--corpus DIR is required");
}

void server_format_cpus(const struct server_options *o, char *buf, size_t len)
{
	if (o->ncpus == 0)
		snprintf(buf, len, "none");
	else
		cpu_list_format(o->cpus, o->ncpus, buf, len);
}

int server_parse_busy_poll(const char *value, unsigned *usecs, char *err, size_t errlen)
{
	uint64_t v;

	if (parse_count(value, 1, 1000000, &v, err, errlen) < 0)
		return -1;
	*usecs = (unsigned)v;
	return 0;
}
