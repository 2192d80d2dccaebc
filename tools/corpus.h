/* The page sets of ARCHITECTURE.md, generated deterministically.
 *
 * Everything here is pure computation on integers (no libm, no rand(), no
 * floating point), so the same version and seed give the same bytes on every
 * machine and every compiler. tools/gencorpus.c does the file I/O. */
#ifndef BB_CORPUS_H
#define BB_CORPUS_H

#include <stddef.h>
#include <stdint.h>

/* Bump when the bytes of any generated page change: the stamp file records
 * it, so `make corpus` regenerates stale sets. */
#define CORPUS_VERSION 1
#define CORPUS_SEED UINT64_C(0x62797061737362) /* "bypassb" */

/* The `corpus` set: 500 pages with the size distribution of the front pages
 * of the 500 most popular websites, as measured in the experiment this suite
 * reproduces (Rusty, a userspace TCP stack, against the Linux stack). Sizes
 * are in decimal kilobytes (1 KB = 1000 bytes), as that study states them. */
#define CORPUS_PAGES 500
#define CORPUS_MIN_BYTES 3500      /* the study's smallest: 3.5 KB (wellsfargo.com) */
#define CORPUS_MAX_BYTES 1100000   /* the study's largest: 1.1 MB (xcar.com.cn) */

/* Smallest page corpus_html_fill() can produce (head + footer fit). */
#define CORPUS_HTML_MIN_BYTES 1024

/* splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and defined by integer
 * arithmetic alone, so every machine draws the same sequence. */
struct corpus_rng {
	uint64_t state;
};

static inline uint64_t corpus_rng_next(struct corpus_rng *r)
{
	uint64_t z = (r->state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n >= 1. Plain modulo: its bias is below 2^-40 for the
 * small n used here, and it is the same on 32- and 64-bit machines. */
static inline uint64_t corpus_rng_below(struct corpus_rng *r, uint64_t n)
{
	return corpus_rng_next(r) % n;
}

/* The seed of one page: independent of every other page, so a page's bytes
 * depend only on (set, index, size). */
uint64_t corpus_page_seed(uint64_t set_id, uint64_t index);

/* Size of the page at rank `rank` (0 = smallest) of the corpus: the quantile
 * function of the distribution, evaluated at rank / (CORPUS_PAGES - 1). */
size_t corpus_size_at_rank(unsigned rank);

/* Sizes of page-0001 .. page-0500 (sizes[0] is page-0001): every rank once,
 * in a fixed pseudo-random order, so page names do not reveal sizes. */
void corpus_sizes(size_t sizes[CORPUS_PAGES]);

/* Fills buf[0..size) with plausible HTML (doctype, head, style, paragraphs,
 * links, lists, tables, inline scripts) ending in "</html>\n", exactly
 * `size` bytes, drawn from `seed`. size >= CORPUS_HTML_MIN_BYTES. */
void corpus_html_fill(char *buf, size_t size, uint64_t seed);

#endif
