/* Log-linear histogram: see histogram.h for the layout. */
#include "histogram.h"

#include <string.h>

void hist_init(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint32_t hist_slot_of(uint64_t v)
{
	if (v < 2 * HIST_SUB_HALF)
		return (uint32_t)v;
	unsigned msb = 63 - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - HIST_SUB_BITS;  /* >= 1 */
	/* v >> shift lies in [1024, 2048): range `shift` starts at slot
	 * (shift + 1) * 1024, so the slot is shift * 1024 + (v >> shift). */
	return shift * HIST_SUB_HALF + (uint32_t)(v >> shift);
}

uint64_t hist_slot_low(uint32_t slot)
{
	if (slot < 2 * HIST_SUB_HALF)
		return slot;
	unsigned shift = slot / HIST_SUB_HALF - 1;
	uint64_t sub = slot - shift * HIST_SUB_HALF;
	return sub << shift;
}

uint64_t hist_slot_high(uint32_t slot)
{
	if (slot < 2 * HIST_SUB_HALF)
		return slot;
	unsigned shift = slot / HIST_SUB_HALF - 1;
	return hist_slot_low(slot) + (1ull << shift) - 1;
}

void hist_record(struct histogram *h, uint64_t v)
{
	h->count++;
	h->sum += (double)v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	if (v > HIST_MAX_NS) {
		h->clamped++;
		v = HIST_MAX_NS;
	}
	h->slots[hist_slot_of(v)]++;
}

void hist_merge(struct histogram *into, const struct histogram *from)
{
	if (!from->count)
		return;
	into->count += from->count;
	into->sum += from->sum;
	into->clamped += from->clamped;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
	for (uint32_t i = 0; i < HIST_SLOTS; i++)
		into->slots[i] += from->slots[i];
}

uint64_t hist_percentile(const struct histogram *h, double p)
{
	if (!h->count)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	double want = p / 100.0 * (double)h->count;
	uint64_t rank = (uint64_t)want;
	if ((double)rank < want)
		rank++;
	return hist_at_rank(h, rank);
}

uint64_t hist_at_rank(const struct histogram *h, uint64_t rank)
{
	if (!h->count)
		return 0;
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (uint32_t i = 0; i < HIST_SLOTS; i++) {
		seen += h->slots[i];
		if (seen >= rank) {
			uint64_t v = hist_slot_high(i);
			if (v > h->max)
				v = h->max;
			if (v < h->min)
				v = h->min;
			return v;
		}
	}
	return h->max;
}

double hist_mean(const struct histogram *h)
{
	return h->count ? h->sum / (double)h->count : 0.0;
}
