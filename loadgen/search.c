/* The SLO search: the planner and the driver, see search.h. */
#include "search.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "report.h"
#include "slo.h"

void search_init(struct search *s, const struct search_params *p)
{
	memset(s, 0, sizeof(*s));
	s->p = *p;
	if (s->p.max_steps > SEARCH_MAX_STEPS)
		s->p.max_steps = SEARCH_MAX_STEPS;
	if (s->p.min_milli < SEARCH_MIN_RATE_MILLI)
		s->p.min_milli = SEARCH_MIN_RATE_MILLI;
	s->end = SEARCH_RUNNING;
}

static struct search_rate *find_rate(struct search *s, uint64_t milli)
{
	for (int i = 0; i < s->nrates; i++)
		if (s->rates[i].milli == milli)
			return &s->rates[i];
	return NULL;
}

uint64_t search_first_fail(const struct search *s)
{
	uint64_t hi = 0;
	for (int i = 0; i < s->nrates; i++)
		if (s->rates[i].failed && (!hi || s->rates[i].milli < hi))
			hi = s->rates[i].milli;
	return hi;
}

uint64_t search_knee(const struct search *s)
{
	uint64_t hi = search_first_fail(s), lo = 0;
	for (int i = 0; i < s->nrates; i++) {
		const struct search_rate *r = &s->rates[i];
		if (r->runs && !r->failed && (!hi || r->milli < hi) && r->milli > lo)
			lo = r->milli;
	}
	return lo;
}

static int runs_at(struct search *s, uint64_t milli)
{
	const struct search_rate *r = find_rate(s, milli);
	return r ? r->runs : 0;
}

/* Rates people can read: whole requests per second from 10 req/s up. */
static uint64_t round_rate(double milli)
{
	if (milli >= 10000)
		return (uint64_t)llround(milli / 1000) * 1000;
	return milli < 1 ? 1 : (uint64_t)llround(milli);
}

static uint64_t over(struct search *s, enum search_end why)
{
	s->end = why;
	return 0;
}

uint64_t search_next(struct search *s, enum search_phase *phase)
{
	if (s->end != SEARCH_RUNNING)
		return 0;
	if (s->steps >= s->p.max_steps)
		return over(s, SEARCH_STEP_LIMIT);
	uint64_t lo = search_knee(s), hi = search_first_fail(s);
	*phase = SEARCH_EXP;
	if (!s->nrates) {
		uint64_t first = s->p.start_milli > s->p.min_milli ? s->p.start_milli : s->p.min_milli;
		return first < s->p.max_milli ? first : s->p.max_milli;
	}
	if (!hi) {
		if (lo >= s->p.max_milli)
			return over(s, SEARCH_AT_MAX);
		uint64_t next = round_rate((double)lo * s->p.growth);
		if (next <= lo)
			next = lo + 1;
		return next < s->p.max_milli ? next : s->p.max_milli;
	}
	if (!lo) {
		if (hi <= s->p.min_milli)
			return over(s, SEARCH_NONE_PASSED);
		uint64_t next = round_rate((double)hi / s->p.growth);
		if (next >= hi)
			next = hi - 1;
		return next > s->p.min_milli ? next : s->p.min_milli;
	}
	if ((double)(hi - lo) > s->p.precision * (double)lo) {
		uint64_t mid = round_rate((double)(lo + hi) / 2);
		if (mid > lo && mid < hi) {
			*phase = SEARCH_BISECT;
			return mid;
		}
	}
	*phase = SEARCH_REPEAT;
	if (runs_at(s, lo) < 1 + s->p.repeats)
		return lo;
	if (runs_at(s, hi) < 1 + s->p.repeats)
		return hi;
	return over(s, SEARCH_CONVERGED);
}

void search_record(struct search *s, uint64_t milli, bool pass)
{
	struct search_rate *r = find_rate(s, milli);
	s->steps++;
	if (!r) {
		if (s->nrates == SEARCH_MAX_STEPS)
			return; /* cannot happen: at most one new rate per step */
		r = &s->rates[s->nrates++];
		r->milli = milli;
	}
	r->runs++;
	if (!pass)
		r->failed = true;
}

const char *search_phase_name(enum search_phase p)
{
	switch (p) {
	case SEARCH_EXP: return "exp";
	case SEARCH_BISECT: return "bisect";
	case SEARCH_REPEAT: return "repeat";
	}
	return "?";
}

const char *search_end_name(enum search_end e)
{
	switch (e) {
	case SEARCH_RUNNING: return "running";
	case SEARCH_CONVERGED: return "converged";
	case SEARCH_AT_MAX: return "at_max";
	case SEARCH_NONE_PASSED: return "none_passed";
	case SEARCH_STEP_LIMIT: return "step_limit";
	}
	return "?";
}

/* ---- the driver ---------------------------------------------------------- */

/* A step's verdict, and its window's results while they may still become
 * the knee row (about 1 MB of histograms each: a long search keeps few). */
struct step {
	uint64_t milli;
	enum search_phase phase;
	enum slo_verdict verdict;
	uint64_t observed_ns;
	struct lg_options *o;   /* the step's options (its rate); NULL once dropped */
	struct lg_result r;
};

static void drop_results(struct step *st)
{
	free(st->r.latency);
	free(st->r.connect);
	free(st->r.latency_uncorrected);
	free(st->r.lag);
	free(st->o);
	memset(&st->r, 0, sizeof(st->r));
	st->o = NULL;
}

/* The knee row repeats the last window at the knee rate, or with no knee
 * the search's last window: every other window whose rate has failed, or
 * that a later window at its rate replaced, can go. */
static void drop_unneeded(const struct search *s, struct step *steps, int n)
{
	for (int i = 0; i < n - 1; i++) {
		if (!steps[i].o)
			continue;
		bool replaced = false;
		for (int j = i + 1; j < n && !replaced; j++)
			replaced = steps[j].milli == steps[i].milli;
		for (int k = 0; k < s->nrates && !replaced; k++)
			replaced = s->rates[k].milli == steps[i].milli && s->rates[k].failed;
		if (replaced)
			drop_results(&steps[i]);
	}
}

static void print_step(const struct step *st, int n)
{
	const struct lg_result *r = &st->r;
	fprintf(stderr, "loadgen: search step %d (%s) at %.3f req/s: %.1f req/s, %s %.3f ms: %s\n", n,
		search_phase_name(st->phase), st->o->rate, r->elapsed_s > 0 ? (double)r->c.requests / r->elapsed_s : 0,
		st->o->slo.text, (double)st->observed_ns / 1e6, slo_verdict_name(st->verdict));
}

/* Writes one row of the search (CSV and/or JSON); -1 with err on a CSV error. */
static int emit(const struct lg_options *o, struct lg_result *r, int n, const char *phase,
		double capacity, char *err, size_t errlen)
{
	struct lg_search_row row = { .step = n, .phase = phase, .capacity_req_s = capacity };
	r->search = &row;
	if (o->json)
		report_json(stdout, r);
	fflush(stdout);
	int rc = o->csv_file ? report_csv_append(o->csv_file, r, err, errlen) : 0;
	r->search = NULL;
	return rc;
}

int search_run(const struct lg_options *o, search_measure_fn measure, void *ctx)
{
	struct search s;
	struct step *steps = calloc((size_t)o->search_p.max_steps, sizeof(*steps));
	char err[1024];
	int nsteps = 0, rc = 0;
	bool interrupted = false;
	enum search_phase phase;
	uint64_t milli;

	if (!steps) {
		fprintf(stderr, "loadgen: out of memory for %d search steps\n", o->search_p.max_steps);
		return 1;
	}
	search_init(&s, &o->search_p);
	while ((milli = search_next(&s, &phase)) != 0) {
		struct step *st = &steps[nsteps];
		if (!(st->o = malloc(sizeof(*st->o)))) {
			fprintf(stderr, "loadgen: out of memory\n");
			rc = 1;
			break;
		}
		*st->o = *o;
		st->o->rate_milli = milli;
		st->o->rate = (double)milli / 1000.0;
		st->r.o = st->o;
		if (measure(ctx, st->o, &st->r)) {
			interrupted = true; /* a cut window is not a step */
			drop_results(st);
			break;
		}
		nsteps++;
		st->milli = milli;
		st->phase = phase;
		st->verdict = slo_judge(&o->slo, &st->r, &st->observed_ns);
		search_record(&s, milli, st->verdict == SLO_PASS);
		print_step(st, nsteps);
		if (emit(o, &st->r, nsteps, search_phase_name(phase), -1, err, sizeof(err)) < 0) {
			fprintf(stderr, "loadgen: %s\n", err);
			rc = 1;
			break;
		}
		drop_unneeded(&s, steps, nsteps);
	}

	if (interrupted || rc) {
		fprintf(stderr, "loadgen: search %s after %d steps: no knee%s\n",
			interrupted ? "interrupted" : "stopped", nsteps,
			o->csv_file ? " (the steps' rows are in the CSV, no knee row)" : "");
	} else {
		uint64_t knee = search_knee(&s), fail = search_first_fail(&s);
		/* The knee row repeats the knee rate's last window; with no knee,
		 * the last window of the search. */
		struct step *at = NULL;
		int at_n = 0;
		for (int i = 0; i < nsteps; i++)
			if ((!knee || steps[i].milli == knee) && steps[i].o) {
				at = &steps[i];
				at_n = i + 1;
			}
		char why[160] = "";
		if (fail) {
			for (int i = 0; i < nsteps; i++)
				if (steps[i].milli == fail && steps[i].verdict != SLO_PASS) {
					snprintf(why, sizeof(why), "; first fail %.3f req/s: %s", (double)fail / 1000.0,
						 slo_verdict_name(steps[i].verdict));
					break;
				}
		}
		fprintf(stderr, "loadgen: capacity under %s: %.3f req/s (%s after %d steps%s)%s\n", o->slo.text,
			(double)knee / 1000.0, search_end_name(s.end), nsteps, why,
			s.end == SEARCH_AT_MAX ? ": the SLO held at --search-max, the capacity is at least that" :
			s.end == SEARCH_STEP_LIMIT ? ": --search-steps ran out before the precision was reached" : "");
		if (s.end == SEARCH_NONE_PASSED && s.p.min_milli > SEARCH_MIN_RATE_MILLI)
			fprintf(stderr, "loadgen: no rate down to %.3f req/s met %s; below it a %g s window "
				"holds too few requests to judge it (search.h)\n",
				(double)s.p.min_milli / 1000.0, o->slo.text, o->duration_s);
		if (at && emit(o, &at->r, at_n, "knee", (double)knee / 1000.0, err, sizeof(err)) < 0) {
			fprintf(stderr, "loadgen: %s\n", err);
			rc = 1;
		}
		if (o->json) {
			printf("{\"search\":\"knee\",\"slo\":\"%s\",\"slo_capacity_req_s\":%.3f,\"first_fail_req_s\":",
			       o->slo.text, (double)knee / 1000.0);
			if (fail)
				printf("%.3f", (double)fail / 1000.0);
			else
				fputs("null", stdout);
			printf(",\"search_end\":\"%s\",\"steps\":%d}\n", search_end_name(s.end), nsteps);
		} else if (!o->quiet) {
			printf("capacity under %s: %.3f req/s (%s, %d steps)\n", o->slo.text, (double)knee / 1000.0,
			       search_end_name(s.end), nsteps);
		}
		fflush(stdout);
	}
	for (int i = 0; i < nsteps; i++)
		drop_results(&steps[i]);
	free(steps);
	return interrupted ? 130 : rc;
}
