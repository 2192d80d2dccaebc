/* gencorpus: writes the page sets of ARCHITECTURE.md under --out DIR.
 *
 *   DIR/tiny/index.html     "Hello, World!" (13 bytes)
 *   DIR/10k/index.html      10240 bytes of HTML
 *   DIR/150k/index.html     153600 bytes
 *   DIR/1m/index.html       1048576 bytes
 *   DIR/corpus/page-NNNN.html  500 pages, the size distribution of the
 *                           500 front pages in the study this suite
 *                           reproduces (tools/corpus_sizes.c)
 *   DIR/<set>.uris          the set's URIs, one per line ("/index.html"),
 *                           kept beside the set so no server serves it
 *   DIR/.stamp              version and seed of what is there
 *
 * Generation is deterministic (tools/corpus.h) and skipped when the stamp,
 * every file and its size already match. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "corpus.h"

#define PROG "gencorpus"

struct page_spec {
	char name[32];  /* file name inside the set, e.g. "page-0042.html" */
	size_t size;
};

struct set_spec {
	const char *name;
	uint64_t id;     /* the set's PRNG stream */
	size_t npages;
	struct page_spec pages[CORPUS_PAGES];
};

static const char hello[] = "Hello, World!";

__attribute__((noreturn, format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
	va_list ap;
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --out DIR [--force]\n"
		"Writes the page sets tiny, 10k, 150k, 1m and corpus under DIR,\n"
		"each with DIR/<set>.uris listing its URIs, and prints their sizes.\n"
		"Deterministic (version %d, seed 0x%" PRIx64 "): same bytes on every\n"
		"machine. Skips the work when DIR already holds this version.\n"
		"  --out DIR   where to write (created if missing)\n"
		"  --force     regenerate even if up to date\n",
		CORPUS_VERSION, CORPUS_SEED);
}

static void single_page(struct set_spec *s, const char *name, uint64_t id, size_t size)
{
	s->name = name;
	s->id = id;
	s->npages = 1;
	snprintf(s->pages[0].name, sizeof(s->pages[0].name), "index.html");
	s->pages[0].size = size;
}

/* The sets, in the order they are written and summarised. */
enum { SET_TINY, SET_10K, SET_150K, SET_1M, SET_CORPUS, NSETS };

static void describe_sets(struct set_spec sets[NSETS])
{
	single_page(&sets[SET_TINY], "tiny", 0, sizeof(hello) - 1);
	single_page(&sets[SET_10K], "10k", 1, 10 * 1024);
	single_page(&sets[SET_150K], "150k", 2, 150 * 1024);
	single_page(&sets[SET_1M], "1m", 3, 1024 * 1024);

	struct set_spec *c = &sets[SET_CORPUS];
	size_t sizes[CORPUS_PAGES];
	corpus_sizes(sizes);
	c->name = "corpus";
	c->id = 4;
	c->npages = CORPUS_PAGES;
	for (size_t i = 0; i < CORPUS_PAGES; i++) {
		snprintf(c->pages[i].name, sizeof(c->pages[i].name),
			 "page-%04zu.html", i + 1);
		c->pages[i].size = sizes[i];
	}
}

static void fill_page(const struct set_spec *s, size_t i, char *buf)
{
	if (s->id == 0)
		memcpy(buf, hello, sizeof(hello) - 1);
	else
		corpus_html_fill(buf, s->pages[i].size, corpus_page_seed(s->id, i));
}

static void mkdir_p(const char *path)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		die("%s: path too long", path);
	for (char *p = tmp + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
				die("mkdir %s: %s", tmp, strerror(errno));
			*p = c;
			if (c == '\0')
				break;
		}
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		die("%s: not a directory", path);
}

static void write_file(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write %s: %s", path, strerror(errno));
		}
		buf += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0)
		die("close %s: %s", path, strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) < 0 && errno != ENOENT)
		die("remove %s: %s", path, strerror(errno));
	return 0;
}

static void remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return;
		die("stat %s: %s", path, strerror(errno));
	}
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		die("remove %s: %s", path, strerror(errno));
}

static void stamp_text(char *buf, size_t len)
{
	snprintf(buf, len, PROG " version %d seed 0x%" PRIx64 "\n", CORPUS_VERSION,
		 CORPUS_SEED);
}

/* True when DIR holds this version's stamp and every file at its size. */
static int up_to_date(const char *out, const struct set_spec sets[NSETS])
{
	char path[4096], want[128], have[128] = "";
	stamp_text(want, sizeof(want));
	snprintf(path, sizeof(path), "%s/.stamp", out);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(have, 1, sizeof(have) - 1, f);
	fclose(f);
	have[n] = '\0';
	if (strcmp(have, want) != 0)
		return 0;
	struct stat st;
	for (int s = 0; s < NSETS; s++) {
		snprintf(path, sizeof(path), "%s/%s.uris", out, sets[s].name);
		if (stat(path, &st) < 0)
			return 0;
		for (size_t i = 0; i < sets[s].npages; i++) {
			snprintf(path, sizeof(path), "%s/%s/%s", out, sets[s].name,
				 sets[s].pages[i].name);
			if (stat(path, &st) < 0 || (size_t)st.st_size != sets[s].pages[i].size)
				return 0;
		}
	}
	return 1;
}

/* Writes a set into a hidden temporary folder, then swaps it in, so a reader
 * never sees half a set under its real name. */
static void generate_set(const char *out, const struct set_spec *s, char *buf)
{
	char tmp[4096], dst[4096], path[4200];
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", out, s->name);
	snprintf(dst, sizeof(dst), "%s/%s", out, s->name);
	remove_tree(tmp);
	if (mkdir(tmp, 0755) < 0)
		die("mkdir %s: %s", tmp, strerror(errno));
	for (size_t i = 0; i < s->npages; i++) {
		fill_page(s, i, buf);
		snprintf(path, sizeof(path), "%s/%s", tmp, s->pages[i].name);
		write_file(path, buf, s->pages[i].size);
	}
	remove_tree(dst);
	if (rename(tmp, dst) < 0)
		die("rename %s to %s: %s", tmp, dst, strerror(errno));

	/* The URI list, same trick: written aside, renamed into place. */
	size_t len = 0;
	for (size_t i = 0; i < s->npages; i++)
		len += (size_t)snprintf(buf + len, 64, "/%s\n", s->pages[i].name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.uris.tmp", out, s->name);
	snprintf(dst, sizeof(dst), "%s/%s.uris", out, s->name);
	write_file(tmp, buf, len);
	if (rename(tmp, dst) < 0)
		die("rename %s to %s: %s", tmp, dst, strerror(errno));
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

static void print_summary(const char *out, const struct set_spec sets[NSETS])
{
	printf("%-7s %5s %12s %9s %9s %9s   (in %s)\n", "set", "pages", "bytes",
	       "min", "median", "max", out);
	for (int s = 0; s < NSETS; s++) {
		size_t sorted[CORPUS_PAGES], total = 0, n = sets[s].npages;
		for (size_t i = 0; i < n; i++) {
			sorted[i] = sets[s].pages[i].size;
			total += sorted[i];
		}
		qsort(sorted, n, sizeof(sorted[0]), cmp_size);
		printf("%-7s %5zu %12zu %9zu %9zu %9zu\n", sets[s].name, n, total,
		       sorted[0], sorted[n / 2], sorted[n - 1]);
	}
	const struct set_spec *c = &sets[SET_CORPUS];
	size_t u150 = 0, u300 = 0, o500 = 0;
	for (size_t i = 0; i < c->npages; i++) {
		u150 += c->pages[i].size < 150000;
		u300 += c->pages[i].size < 300000;
		o500 += c->pages[i].size > 500000;
	}
	printf("corpus: %zu%% under 150 KB, %zu%% under 300 KB, %zu pages over 500 KB "
	       "(1 KB = 1000 bytes)\n",
	       u150 * 100 / c->npages, u300 * 100 / c->npages, o500);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	int force = 0, c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': force = 1; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, PROG ": bad option '%s' (try --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (try --help)\n", argv[optind]);
		return 2;
	}
	if (!out) {
		fprintf(stderr, PROG ": --out DIR is required (try --help)\n");
		return 2;
	}

	static struct set_spec sets[NSETS];
	describe_sets(sets);
	mkdir_p(out);

	/* Two `make corpus` at once (parallel test runs) take turns. */
	char lock[4096];
	snprintf(lock, sizeof(lock), "%s/.lock", out);
	int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lfd < 0)
		die("open %s: %s", lock, strerror(errno));
	if (flock(lfd, LOCK_EX) < 0)
		die("lock %s: %s", lock, strerror(errno));

	if (!force && up_to_date(out, sets)) {
		printf(PROG ": %s is up to date (version %d)\n", out, CORPUS_VERSION);
	} else {
		char stamp[4096], text[128];
		snprintf(stamp, sizeof(stamp), "%s/.stamp", out);
		if (unlink(stamp) < 0 && errno != ENOENT)
			die("unlink %s: %s", stamp, strerror(errno));
		char *buf = malloc(CORPUS_MAX_BYTES + 64 * CORPUS_PAGES);
		if (!buf)
			die("out of memory");
		for (int s = 0; s < NSETS; s++)
			generate_set(out, &sets[s], buf);
		free(buf);
		stamp_text(text, sizeof(text));
		write_file(stamp, text, strlen(text));
		printf(PROG ": wrote %s (version %d)\n", out, CORPUS_VERSION);
	}
	print_summary(out, sets);
	close(lfd);
	return 0;
}
