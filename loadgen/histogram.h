/* Log-linear latency histogram (HdrHistogram's layout), values in nanoseconds.
 *
 * Values below 2048 ns get a bucket each; above, every power-of-two range
 * [1024 * 2^k, 2048 * 2^k) is cut into 1024 equal sub-buckets of width 2^k.
 * A recorded value is thus known to within 1/1024 of itself (better than 3
 * significant digits) anywhere from 1 ns to HIST_MAX_NS (one minute), in a
 * fixed 216 KiB of counters. Histograms of the same layout merge by adding
 * counters, so each worker thread keeps its own and main sums them. */
#ifndef LG_HISTOGRAM_H
#define LG_HISTOGRAM_H

#include <stdbool.h>
#include <stdint.h>

#define HIST_SUB_BITS 10                     /* 1024 sub-buckets per range */
#define HIST_SUB_HALF (1u << HIST_SUB_BITS)
#define HIST_MAX_NS (60ull * 1000000000ull)  /* one minute */
#define HIST_MAX_SHIFT 25                    /* 60e9 < 2048 << 25 */
#define HIST_SLOTS ((HIST_MAX_SHIFT + 2) * HIST_SUB_HALF)

struct histogram {
	uint64_t count;
	uint64_t min;        /* exact, UINT64_MAX when empty */
	uint64_t max;        /* exact (even when above HIST_MAX_NS) */
	uint64_t clamped;    /* values above HIST_MAX_NS, counted in the last slot */
	double sum;          /* for the mean */
	uint64_t slots[HIST_SLOTS];
};

void hist_init(struct histogram *h);
void hist_record(struct histogram *h, uint64_t value_ns);
void hist_merge(struct histogram *into, const struct histogram *from);

/* The value at percentile p (0 < p <= 100): the highest value of the slot
 * holding the ceil(p/100 * count)-th smallest sample, capped at the exact
 * max. Within 1/1024 of the true order statistic. 0 when empty. */
uint64_t hist_percentile(const struct histogram *h, double p);
/* The rank-th smallest sample (1 <= rank <= count), same precision. */
uint64_t hist_at_rank(const struct histogram *h, uint64_t rank);
double hist_mean(const struct histogram *h);

/* Slot arithmetic, exposed for the unit tests. */
uint32_t hist_slot_of(uint64_t value);
uint64_t hist_slot_low(uint32_t slot);
uint64_t hist_slot_high(uint32_t slot);

#endif
