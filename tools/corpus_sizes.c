/* The size distribution of the `corpus` page set.
 *
 * The experiment this suite reproduces (Rusty, a userspace TCP stack, against
 * the Linux stack) served the front pages of the 500 most popular sites and
 * describes their sizes: 3.5 KB to 1.1 MB, 70% under 150 KB, 90% under
 * 300 KB, 17 pages (3%) over 500 KB.
 * We write that down as a quantile function: page sizes at fixed ranks (the
 * knots below), straight lines in between. Rank r of 500 sits at quantile
 * r/499, so the smallest and largest pages are exactly the study's, and the
 * knots at ranks 350, 450 and 482 make the three stated proportions exact:
 * ranks 0..349 are under 150 KB, 0..449 under 300 KB, 483..499 over 500 KB.
 * The knots below rank 350 give the long left shoulder of a log-normal-ish
 * web page distribution (median about 65 KB). Integers only: no libm result
 * can differ between machines. */
#include "corpus.h"

struct knot {
	unsigned rank;
	size_t bytes;
};

static const struct knot knots[] = {
	{ 0, CORPUS_MIN_BYTES },
	{ 25, 9000 },
	{ 75, 18000 },
	{ 150, 35000 },
	{ 250, 65000 },
	{ 350, 150000 },  /* first page NOT under 150 KB: 350 of 500 are under */
	{ 450, 300000 },  /* first page NOT under 300 KB: 450 of 500 are under */
	{ 482, 500000 },  /* last page NOT over 500 KB: 17 pages are over */
	{ 495, 800000 },
	{ CORPUS_PAGES - 1, CORPUS_MAX_BYTES },
};

#define NKNOTS (sizeof(knots) / sizeof(knots[0]))

/* set_id of the corpus's own shuffle, distinct from every page seed. */
#define SHUFFLE_STREAM UINT64_C(0x5348554646) /* "SHUFF" */

uint64_t corpus_page_seed(uint64_t set_id, uint64_t index)
{
	/* Two splitmix64 rounds mix (seed, set, index) into one well-spread
	 * seed, so neighbouring pages do not share streams. */
	struct corpus_rng r = { CORPUS_SEED ^ (set_id * UINT64_C(0xd1b54a32d192ed03)) };
	r.state ^= corpus_rng_next(&r) + index;
	return corpus_rng_next(&r);
}

size_t corpus_size_at_rank(unsigned rank)
{
	if (rank >= CORPUS_PAGES - 1)
		return CORPUS_MAX_BYTES;
	for (size_t k = 1; k < NKNOTS; k++) {
		if (rank > knots[k].rank)
			continue;
		const struct knot *a = &knots[k - 1], *b = &knots[k];
		return a->bytes + (b->bytes - a->bytes) * (rank - a->rank) /
					  (b->rank - a->rank);
	}
	return CORPUS_MAX_BYTES; /* unreachable: the last knot is the last rank */
}

void corpus_sizes(size_t sizes[CORPUS_PAGES])
{
	for (unsigned i = 0; i < CORPUS_PAGES; i++)
		sizes[i] = corpus_size_at_rank(i);
	/* Fisher-Yates with our own PRNG: a fixed permutation everywhere. */
	struct corpus_rng r = { corpus_page_seed(SHUFFLE_STREAM, 0) };
	for (unsigned i = CORPUS_PAGES - 1; i > 0; i--) {
		unsigned j = (unsigned)corpus_rng_below(&r, i + 1);
		size_t t = sizes[i];
		sizes[i] = sizes[j];
		sizes[j] = t;
	}
}
