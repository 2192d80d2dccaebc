/* Unit tests for the page-set generator (tools/corpus*.c): the size
 * distribution holds the figures stated for the 500 front pages of the
 * experiment this suite reproduces (tools/corpus_sizes.c), and page text is
 * exact in size, well-formed and the same bytes everywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "corpus.h"

/* Computed once with gcc -O2 and checked equal with clang -O2: see
 * test_golden_bytes. */
#define GOLDEN_SIZE0 66700
#define GOLDEN_SIZES_HASH UINT64_C(0xa2b17720d2009ba9)
#define GOLDEN_PAGE1_HASH UINT64_C(0x180fc4de5db6dcb8)
#define GOLDEN_1M_HASH UINT64_C(0x78702ec0d5cd6a93)

static uint64_t fnv1a(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * UINT64_C(0x100000001b3);
	return h;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

/* The PRNG is splitmix64 exactly: the published reference outputs. */
static void test_rng_is_splitmix64(void **state)
{
	(void)state;
	struct corpus_rng r = { 1234567 };
	assert_true(corpus_rng_next(&r) == UINT64_C(6457827717110365317));
	assert_true(corpus_rng_next(&r) == UINT64_C(3203168211198807973));
	assert_true(corpus_rng_next(&r) == UINT64_C(9817491932198370423));
	for (int i = 0; i < 10000; i++)
		assert_true(corpus_rng_below(&r, 7) < 7);
}

static void test_sizes_follow_stated_distribution(void **state)
{
	(void)state;
	size_t sizes[CORPUS_PAGES];
	corpus_sizes(sizes);
	size_t min = SIZE_MAX, max = 0, u150 = 0, u300 = 0, o500 = 0;
	for (int i = 0; i < CORPUS_PAGES; i++) {
		if (sizes[i] < min)
			min = sizes[i];
		if (sizes[i] > max)
			max = sizes[i];
		u150 += sizes[i] < 150000;
		u300 += sizes[i] < 300000;
		o500 += sizes[i] > 500000;
	}
	assert_int_equal(min, 3500);        /* 3.5 KB */
	assert_int_equal(max, 1100000);     /* 1.1 MB */
	assert_int_equal(u150, 350);        /* 70% under 150 KB */
	assert_int_equal(u300, 450);        /* 90% under 300 KB */
	assert_int_equal(o500, 17);         /* 17 pages over 500 KB */
}

/* corpus_sizes() is a permutation of the quantile function's values, and the
 * quantile function strictly increases (no two ranks share a size). */
static void test_sizes_are_shuffled_ranks(void **state)
{
	(void)state;
	size_t sizes[CORPUS_PAGES];
	corpus_sizes(sizes);
	int ascending_neighbours = 0;
	for (int i = 1; i < CORPUS_PAGES; i++)
		ascending_neighbours += sizes[i] > sizes[i - 1];
	/* A shuffle has about half its neighbours ascending; sorted has all. */
	assert_in_range(ascending_neighbours, 150, 350);
	qsort(sizes, CORPUS_PAGES, sizeof(sizes[0]), cmp_size);
	for (unsigned r = 0; r < CORPUS_PAGES; r++) {
		assert_int_equal(sizes[r], corpus_size_at_rank(r));
		if (r > 0)
			assert_true(sizes[r] > sizes[r - 1]);
	}
}

static size_t count(const char *buf, size_t len, const char *needle)
{
	size_t n = 0, k = strlen(needle);
	for (const char *p = buf; (p = memmem(p, len - (size_t)(p - buf), needle, k)); p += k)
		n++;
	return n;
}

/* Exact size, HTML shape, printable text, and no write past the end (a
 * guard pattern after the buffer stays intact). */
static void check_page(size_t size, uint64_t seed)
{
	const size_t guard = 64;
	char *buf = malloc(size + guard);
	assert_non_null(buf);
	memset(buf, 0xA5, size + guard);
	corpus_html_fill(buf, size, seed);
	for (size_t i = 0; i < guard; i++)
		assert_int_equal((unsigned char)buf[size + i], 0xA5);
	assert_memory_equal(buf, "<!DOCTYPE html>\n", 16);
	assert_memory_equal(buf + size - 16, "</body>\n</html>\n", 16);
	for (size_t i = 0; i < size; i++)
		assert_true(buf[i] == '\n' || (buf[i] >= 0x20 && buf[i] < 0x7f));
	assert_int_equal(count(buf, size, "<p>"), count(buf, size, "</p>"));
	assert_int_equal(count(buf, size, "<ul "), count(buf, size, "</ul>"));
	assert_int_equal(count(buf, size, "<table"), count(buf, size, "</table>"));
	assert_int_equal(count(buf, size, "<script>"), count(buf, size, "</script>"));
	assert_int_equal(count(buf, size, "<!--"), count(buf, size, "-->"));
	assert_true(count(buf, size, "<!--") <= 1);
	free(buf);
}

static void test_pages_exact_and_well_formed(void **state)
{
	(void)state;
	static const size_t sizes[] = { CORPUS_HTML_MIN_BYTES, 1025, 3500, 3501,
					10240, 153600, 1048576, 1100000 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (uint64_t seed = 0; seed < 8; seed++)
			check_page(sizes[i], corpus_page_seed(4, seed));
	/* Every size near the minimum, where padding does the most work. */
	for (size_t size = CORPUS_HTML_MIN_BYTES; size < CORPUS_HTML_MIN_BYTES + 600; size++)
		check_page(size, corpus_page_seed(9, size));
}

static void test_pages_deterministic(void **state)
{
	(void)state;
	const size_t size = 200000;
	char *a = malloc(size), *b = malloc(size);
	assert_non_null(a);
	assert_non_null(b);
	corpus_html_fill(a, size, 42);
	corpus_html_fill(b, size, 42);
	assert_memory_equal(a, b, size);
	corpus_html_fill(b, size, 43);
	assert_memory_not_equal(a, b, size);
	free(a);
	free(b);
}

/* Golden values: the same bytes on every machine. If a change to the
 * generator is intended, bump CORPUS_VERSION and update these. */
static void test_golden_bytes(void **state)
{
	(void)state;
	assert_int_equal(CORPUS_VERSION, 1);
	size_t sizes[CORPUS_PAGES];
	corpus_sizes(sizes);
	assert_int_equal(sizes[0], GOLDEN_SIZE0);
	uint64_t hs = 0; /* over values, not bytes: endian- and width-neutral */
	for (int i = 0; i < CORPUS_PAGES; i++)
		hs = hs * 1000003 + sizes[i];
	assert_true(hs == GOLDEN_SIZES_HASH);
	char *buf = malloc(1048576);
	assert_non_null(buf);
	corpus_html_fill(buf, sizes[0], corpus_page_seed(4, 0)); /* page-0001 */
	assert_true(fnv1a(buf, sizes[0]) == GOLDEN_PAGE1_HASH);
	corpus_html_fill(buf, 1048576, corpus_page_seed(3, 0)); /* 1m/index.html */
	assert_true(fnv1a(buf, 1048576) == GOLDEN_1M_HASH);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng_is_splitmix64),
		cmocka_unit_test(test_sizes_follow_stated_distribution),
		cmocka_unit_test(test_sizes_are_shuffled_ranks),
		cmocka_unit_test(test_pages_exact_and_well_formed),
		cmocka_unit_test(test_pages_deterministic),
		cmocka_unit_test(test_golden_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
