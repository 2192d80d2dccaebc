/* Load over time: intervals and the workers-to-main hand-over (timeline.h). */
#include "timeline.h"

#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "cpu_usage.h"

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

void tl_layout_init(struct tl_layout *l, uint64_t t0_ns, uint64_t measure_ns, uint64_t end_ns,
		    uint64_t interval_ns)
{
	l->t0_ns = t0_ns;
	l->measure_ns = measure_ns > t0_ns ? measure_ns : t0_ns;
	l->end_ns = end_ns > l->measure_ns ? end_ns : l->measure_ns;
	l->interval_ns = interval_ns ? interval_ns : 1;
	l->nwarm = ceil_div(l->measure_ns - t0_ns, l->interval_ns);
	l->nmeasured = ceil_div(l->end_ns - l->measure_ns, l->interval_ns);
}

enum tl_phase tl_phase_of(const struct tl_layout *l, uint64_t k)
{
	if (k < l->nwarm)
		return TL_WARMUP;
	return k < l->nwarm + l->nmeasured ? TL_MEASURED : TL_DRAIN;
}

const char *tl_phase_name(enum tl_phase p)
{
	return p == TL_WARMUP ? "warmup" : p == TL_MEASURED ? "measured" : "drain";
}

uint64_t tl_interval_start(const struct tl_layout *l, uint64_t k)
{
	switch (tl_phase_of(l, k)) {
	case TL_WARMUP:
		return l->t0_ns + k * l->interval_ns;
	case TL_MEASURED:
		return l->measure_ns + (k - l->nwarm) * l->interval_ns;
	default:
		return l->end_ns;
	}
}

uint64_t tl_interval_end(const struct tl_layout *l, uint64_t k)
{
	uint64_t e;
	switch (tl_phase_of(l, k)) {
	case TL_WARMUP:
		e = l->t0_ns + (k + 1) * l->interval_ns;
		return e < l->measure_ns ? e : l->measure_ns;
	case TL_MEASURED:
		e = l->measure_ns + (k - l->nwarm + 1) * l->interval_ns;
		return e < l->end_ns ? e : l->end_ns;
	default:
		return UINT64_MAX;
	}
}

int tl_worker_init(struct tl_worker *t, const struct tl_layout *l)
{
	*t = (struct tl_worker){ .layout = l };
	t->slots = malloc(TL_SLOTS * sizeof(*t->slots));
	if (!t->slots)
		return -1;
	t->cur_slot = &t->slots[0];
	*t->cur_slot = (struct tl_slot){ 0 };
	hist_init(&t->cur_slot->latency);
	return 0;
}

void tl_worker_free(struct tl_worker *t)
{
	free(t->slots);
	t->slots = NULL;
}

static uint64_t thread_cpu_total_us(void)
{
	uint64_t u = 0, s = 0;
	thread_cpu_us(&u, &s);
	return u + s;
}

/* Fills in the current slot's deltas and hands it to main. */
static void seal(struct tl_worker *t, const struct tl_failures *f, uint64_t cpu_us)
{
	struct tl_slot *s = t->cur_slot;
	s->connect_errors = f->connect_errors - t->at_start.connect_errors;
	s->read_errors = f->read_errors - t->at_start.read_errors;
	s->timeouts = f->timeouts - t->at_start.timeouts;
	s->cpu_us = cpu_us - t->cpu_at_start_us;
	t->at_start = *f;
	t->cpu_at_start_us = cpu_us;
	__atomic_store_n(&t->sealed, t->cur + 1, __ATOMIC_RELEASE);
}

/* Interval n reuses the slot of n - TL_SLOTS: main must have read it. */
static void wait_for_slot(struct tl_worker *t, uint64_t n)
{
	if (n < TL_SLOTS || __atomic_load_n(&t->collected, __ATOMIC_ACQUIRE) > n - TL_SLOTS)
		return;
	uint64_t from = now_ns();
	struct timespec nap = { .tv_sec = 0, .tv_nsec = 100000 };
	while (__atomic_load_n(&t->collected, __ATOMIC_ACQUIRE) <= n - TL_SLOTS)
		nanosleep(&nap, NULL);
	t->wait_ns += now_ns() - from;
}

static void begin(struct tl_worker *t, const struct tl_failures *f)
{
	t->at_start = *f;
	t->cpu_at_start_us = thread_cpu_total_us();
	t->cur_end = tl_interval_end(t->layout, t->cur);
}

void tl_roll(struct tl_worker *t, uint64_t now, const struct tl_failures *f)
{
	if (!t->cur_end) {
		begin(t, f);
		if (now < t->cur_end)
			return;
	}
	uint64_t cpu = thread_cpu_total_us();
	while (now >= t->cur_end) {
		seal(t, f, cpu);
		uint64_t n = t->cur + 1;
		wait_for_slot(t, n);
		t->cur = n;
		t->cur_slot = &t->slots[n % TL_SLOTS];
		t->cur_slot->non_2xx = 0;
		hist_init(&t->cur_slot->latency);
		t->cur_end = tl_interval_end(t->layout, n);
	}
}

void tl_finish(struct tl_worker *t, uint64_t now, const struct tl_failures *f)
{
	if (!t)
		return;
	if (!t->cur_end)
		begin(t, f);
	seal(t, f, thread_cpu_total_us());
	t->finish_ns = now;
	__atomic_store_n(&t->final, t->cur + 1, __ATOMIC_RELEASE);
}

/* Interval k can be merged: every worker sealed it or ended before it.
 * *last: no worker has an interval after k. *any_left: some worker has k. */
static bool ready(const struct tl_collector *c, uint64_t k, bool *last, bool *any_left,
		  uint64_t *finish_ns)
{
	bool all_final = true, any = false;
	uint64_t max_final = 0, finish = 0;
	for (int i = 0; i < c->nworkers; i++) {
		const struct tl_worker *t = &c->workers[i];
		uint64_t fin = __atomic_load_n(&t->final, __ATOMIC_ACQUIRE);
		if (fin) {
			if (fin > max_final)
				max_final = fin;
			if (t->finish_ns > finish)
				finish = t->finish_ns;
			any |= k < fin;
			continue;
		}
		all_final = false;
		if (__atomic_load_n(&t->sealed, __ATOMIC_ACQUIRE) <= k)
			return false;
		any = true;
	}
	*last = all_final && k + 1 >= max_final;
	*any_left = any;
	*finish_ns = finish;
	return true;
}

int tl_collect(struct tl_collector *c, tl_emit_fn *emit, void *ctx)
{
	const struct tl_layout *l = c->layout;
	int n = 0;
	bool last, any;
	uint64_t finish;

	while (ready(c, c->next, &last, &any, &finish) && any) {
		uint64_t k = c->next;
		struct tl_interval *iv = &c->iv;
		iv->index = k;
		iv->phase = tl_phase_of(l, k);
		iv->non_2xx = iv->connect_errors = iv->read_errors = iv->timeouts = iv->cpu_us = 0;
		hist_init(&iv->latency);
		for (int i = 0; i < c->nworkers; i++) {
			struct tl_worker *t = &c->workers[i];
			uint64_t fin = __atomic_load_n(&t->final, __ATOMIC_ACQUIRE);
			if (fin && k >= fin)
				continue;
			const struct tl_slot *s = &t->slots[k % TL_SLOTS];
			iv->non_2xx += s->non_2xx;
			iv->connect_errors += s->connect_errors;
			iv->read_errors += s->read_errors;
			iv->timeouts += s->timeouts;
			iv->cpu_us += s->cpu_us;
			hist_merge(&iv->latency, &s->latency);
		}
		for (int i = 0; i < c->nworkers; i++)
			__atomic_store_n(&c->workers[i].collected, k + 1, __ATOMIC_RELEASE);
		uint64_t start = tl_interval_start(l, k), end = tl_interval_end(l, k);
		if (last && finish < end)
			end = finish; /* the drain, or a run cut short: to the last worker's end */
		if (end < start)
			end = start;
		iv->start_ns = start - l->t0_ns;
		iv->end_ns = end - l->t0_ns;
		c->next++;
		n++;
		emit(ctx, iv);
	}
	return n;
}

bool tl_collect_done(const struct tl_collector *c)
{
	bool last, any;
	uint64_t finish;
	return ready(c, c->next, &last, &any, &finish) && !any;
}
