/* Plausible HTML text of an exact size, drawn from a seed.
 *
 * Real front pages are tags, text, inline scripts and styles, links and
 * tables; they compress and segment like text, not like random bytes. We
 * append self-contained blocks of that kind while they fit, then shorter
 * paragraphs, then pad the last few bytes with a comment, so every page is
 * exactly the size the distribution asked for and still well-formed.
 *
 * Rule: at most one draw from the PRNG per expression. The order in which C
 * evaluates function arguments is unspecified (gcc and clang differ), so
 * draws go into locals, in statement order, before they are printed. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "corpus.h"

static const char *const words[] = {
	"about", "account", "after", "again", "all", "also", "and", "answer",
	"around", "back", "before", "best", "between", "business", "but", "buy",
	"call", "can", "care", "city", "come", "company", "contact", "day",
	"deals", "design", "each", "even", "every", "find", "first", "free",
	"from", "game", "get", "give", "good", "great", "group", "health",
	"help", "home", "how", "just", "know", "latest", "life", "like", "live",
	"local", "make", "market", "more", "most", "music", "need", "new",
	"news", "now", "offer", "only", "other", "our", "people", "photo",
	"place", "play", "price", "read", "right", "search", "see", "service",
	"shop", "show", "sign", "sport", "start", "store", "story", "take",
	"team", "the", "their", "there", "these", "think", "time", "today",
	"top", "travel", "under", "video", "watch", "way", "well", "what",
	"when", "where", "which", "with", "work", "world", "year", "your",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char footer[] = "</body>\n</html>\n";
#define FOOTER_LEN (sizeof(footer) - 1)

/* A bounded scratch buffer for one block: appends past the end are dropped
 * and remembered, and an overflowing block is never used. */
struct block {
	char buf[8192];
	size_t len;
	int overflow;
};

static void put(struct block *b, const char *s, size_t n)
{
	if (b->overflow || n > sizeof(b->buf) - b->len) {
		b->overflow = 1;
		return;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
}

static void puts_(struct block *b, const char *s)
{
	put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void putf(struct block *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->overflow = 1;
		return;
	}
	put(b, tmp, (size_t)n);
}

static unsigned between(struct corpus_rng *r, unsigned lo, unsigned hi)
{
	return lo + (unsigned)corpus_rng_below(r, hi - lo + 1);
}

static const char *word(struct corpus_rng *r)
{
	return words[corpus_rng_below(r, NWORDS)];
}

static void put_words(struct block *b, struct corpus_rng *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (i)
			put(b, " ", 1);
		puts_(b, word(r));
	}
}

static void put_sentence(struct block *b, struct corpus_rng *r, unsigned nwords)
{
	const char *w = word(r);
	char cap = (char)(w[0] - 'a' + 'A');
	put(b, &cap, 1);
	puts_(b, w + 1);
	for (unsigned i = 1; i < nwords; i++) {
		unsigned pick = (unsigned)corpus_rng_below(r, 20);
		if (pick == 0) {
			unsigned page = between(r, 1, CORPUS_PAGES);
			const char *w1 = word(r);
			const char *w2 = word(r);
			putf(b, " <a href=\"/page-%04u.html\">%s %s</a>", page, w1, w2);
		}
		else if (pick == 1)
			putf(b, " <strong>%s</strong>", word(r));
		else if (pick == 2)
			putf(b, " <em>%s</em>", word(r));
		else
			putf(b, " %s", word(r));
	}
	puts_(b, ". ");
}

static void block_paragraph(struct block *b, struct corpus_rng *r)
{
	puts_(b, "<p>");
	unsigned n = between(r, 1, 5);
	for (unsigned i = 0; i < n; i++)
		put_sentence(b, r, between(r, 6, 18));
	puts_(b, "</p>\n");
}

static void block_short_paragraph(struct block *b, struct corpus_rng *r)
{
	puts_(b, "<p>");
	put_sentence(b, r, between(r, 2, 6));
	puts_(b, "</p>\n");
}

static void block_heading(struct block *b, struct corpus_rng *r)
{
	unsigned level = between(r, 2, 3);
	unsigned cls = between(r, 0, 15);
	putf(b, "<h%u class=\"c%u\">", level, cls);
	put_words(b, r, between(r, 2, 6));
	putf(b, "</h%u>\n", level);
}

static void block_link_list(struct block *b, struct corpus_rng *r)
{
	putf(b, "<ul class=\"nav c%u\">\n", between(r, 0, 15));
	unsigned n = between(r, 3, 12);
	for (unsigned i = 0; i < n; i++) {
		const char *dir = word(r);
		const char *name = word(r);
		unsigned num = between(r, 1, 9999);
		putf(b, "<li><a href=\"/%s/%s-%u.html\">", dir, name, num);
		put_words(b, r, between(r, 1, 4));
		puts_(b, "</a></li>\n");
	}
	puts_(b, "</ul>\n");
}

static void block_table(struct block *b, struct corpus_rng *r)
{
	unsigned cols = between(r, 3, 5);
	unsigned rows = between(r, 2, 8);
	puts_(b, "<table class=\"data\">\n<tr>");
	for (unsigned c = 0; c < cols; c++)
		putf(b, "<th>%s</th>", word(r));
	puts_(b, "</tr>\n");
	for (unsigned i = 0; i < rows; i++) {
		puts_(b, "<tr>");
		for (unsigned c = 0; c < cols; c++) {
			if (c == 0) {
				const char *w1 = word(r);
			const char *w2 = word(r);
				putf(b, "<td>%s %s</td>", w1, w2);
			} else {
				unsigned units = between(r, 0, 9999);
				unsigned cents = between(r, 0, 99);
				putf(b, "<td>%u.%02u</td>", units, cents);
			}
		}
		puts_(b, "</tr>\n");
	}
	puts_(b, "</table>\n");
}

static void block_script(struct block *b, struct corpus_rng *r)
{
	unsigned id = between(r, 0, 99999);
	unsigned serial = between(r, 1, 999999);
	const char *w1 = word(r);
	const char *w2 = word(r);
	unsigned i1 = between(r, 0, 999);
	unsigned i2 = between(r, 0, 999);
	unsigned i3 = between(r, 0, 999);
	const char *enabled = corpus_rng_below(r, 2) ? "true" : "false";
	putf(b, "<script>\nvar cfg%u = {\"id\": %u, \"name\": \"%s_%s\", "
		"\"items\": [%u, %u, %u], \"enabled\": %s};\n",
	     id, serial, w1, w2, i1, i2, i3, enabled);
	unsigned n = between(r, 1, 6);
	for (unsigned i = 0; i < n; i++) {
		const char *fn = word(r);
		unsigned num = between(r, 0, 999);
		unsigned limit = between(r, 0, 99);
		unsigned factor = between(r, 2, 64);
		unsigned item = between(r, 0, 2);
		putf(b, "function %s%u(a, b) {\n  if (a > %u) { return a * %u + b; }\n"
			"  return cfg%u.items[%u] - b;\n}\n",
		     fn, num, limit, factor, id, item);
	}
	puts_(b, "</script>\n");
}

static void block_figure(struct block *b, struct corpus_rng *r)
{
	unsigned cls = between(r, 0, 15);
	const char *img = word(r);
	unsigned num = between(r, 1, 99999);
	const char *alt1 = word(r);
	const char *alt2 = word(r);
	unsigned width = between(r, 40, 1200);
	unsigned height = between(r, 40, 800);
	putf(b, "<div class=\"card c%u\">\n<img src=\"/img/%s-%u.jpg\" alt=\"%s %s\" "
		"width=\"%u\" height=\"%u\">\n<span class=\"caption\">",
	     cls, img, num, alt1, alt2, width, height);
	put_words(b, r, between(r, 3, 9));
	puts_(b, "</span>\n</div>\n");
}

static void block_any(struct block *b, struct corpus_rng *r)
{
	unsigned pick = (unsigned)corpus_rng_below(r, 100);
	if (pick < 35)
		block_paragraph(b, r);
	else if (pick < 45)
		block_heading(b, r);
	else if (pick < 60)
		block_link_list(b, r);
	else if (pick < 68)
		block_table(b, r);
	else if (pick < 85)
		block_script(b, r);
	else
		block_figure(b, r);
}

static void head(struct block *b, struct corpus_rng *r)
{
	unsigned site = between(r, 1, 9999);
	puts_(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
	put_words(b, r, between(r, 2, 5));
	putf(b, " | Site %04u</title>\n", site);
	puts_(b, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		 "<meta name=\"description\" content=\"");
	put_words(b, r, between(r, 5, 12));
	putf(b, "\">\n<link rel=\"stylesheet\" href=\"/static/site-%04u.css\">\n<style>\n", site);
	unsigned rules = between(r, 3, 6);
	for (unsigned i = 0; i < rules; i++) {
		unsigned vert = between(r, 0, 24);
		unsigned horiz = between(r, 0, 24);
		unsigned colour = (unsigned)corpus_rng_below(r, 0x1000000);
		putf(b, ".c%u { margin: %upx %upx; color: #%06x; }\n", i, vert,
		     horiz, colour);
	}
	puts_(b, "</style>\n</head>\n<body>\n");
}

/* Fills the last `gap` bytes before the footer: a comment when there is
 * room for one, whitespace otherwise (both are valid between blocks). */
static void pad(char *p, size_t gap, struct corpus_rng *r)
{
	static const char open[] = "<!-- ", close[] = " -->\n";
	if (gap < sizeof(open) - 1 + sizeof(close) - 1) {
		memset(p, '\n', gap);
		return;
	}
	memcpy(p, open, sizeof(open) - 1);
	char *q = p + sizeof(open) - 1;
	char *end = p + gap - (sizeof(close) - 1);
	while (q < end) {
		const char *w = word(r);
		while (*w && q < end)
			*q++ = *w++;
		if (q < end)
			*q++ = ' ';
	}
	memcpy(end, close, sizeof(close) - 1);
}

void corpus_html_fill(char *buf, size_t size, uint64_t seed)
{
	struct corpus_rng r = { seed };
	struct block b;
	size_t len = 0, room = size - FOOTER_LEN;

	b.len = 0;
	b.overflow = 0;
	head(&b, &r);
	/* The head is a few hundred bytes by construction; the caller
	 * guarantees size >= CORPUS_HTML_MIN_BYTES. */
	memcpy(buf, b.buf, b.len);
	len = b.len;

	/* Whole blocks while they fit; then short paragraphs; a few misses
	 * in a row mean the page is full. */
	int small = 0, misses = 0;
	while (misses < 4) {
		b.len = 0;
		b.overflow = 0;
		if (small)
			block_short_paragraph(&b, &r);
		else
			block_any(&b, &r);
		if (!b.overflow && b.len <= room - len) {
			memcpy(buf + len, b.buf, b.len);
			len += b.len;
			misses = 0;
		} else if (!small) {
			small = 1;
		} else {
			misses++;
		}
	}
	pad(buf + len, room - len, &r);
	memcpy(buf + room, footer, FOOTER_LEN);
}
