/* A latency SLO (--slo p99=2ms) and the verdict on one measured window.
 *
 * "Capacity under an SLO" is only worth quoting if a pass means the server
 * met the target: a window in which the client fell behind its schedule
 * measured the client, and a window with a failed request hides its worst
 * latencies in the failure (a timeout has no latency). So a window passes
 * only when it has neither and its percentile is within the bound; the
 * verdict says which rule decided, so a reader sees why a rate failed. */
#ifndef LG_SLO_H
#define LG_SLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lg_result;

struct lg_slo {
	double pct;          /* percentile, 0 < pct <= 100 (p99.9 = 99.9) */
	uint64_t max_ns;     /* the bound: that percentile at most this */
	char text[48];       /* as given, e.g. "p99=2ms" (recorded in the rows) */
};

enum slo_verdict {
	SLO_PASS,            /* the percentile held, nothing failed, client kept up */
	SLO_OVER,            /* the percentile was above the bound */
	SLO_CLIENT_BOUND,    /* the client was the limit (report.h): not a pass */
	SLO_FAILED_REQUESTS, /* any failed request (or none measured): not a pass */
};

/* "pP=T": P a percentile (50, 99, 99.9, 99.99; 0 < P <= 100), T a time
 * with its unit (ns, us, ms or s; decimals allowed). 0, or -1 with one line
 * in err. */
int slo_parse(const char *s, struct lg_slo *out, char *err, size_t errlen);

/* The verdict on a window; *observed_ns (may be NULL) gets its latency at
 * the SLO's percentile (0 when nothing was measured). Failed requests are
 * checked first, then the client, then the percentile. */
enum slo_verdict slo_judge(const struct lg_slo *slo, const struct lg_result *r, uint64_t *observed_ns);

/* "pass", "over_slo", "client_bound", "failed_requests". */
const char *slo_verdict_name(enum slo_verdict v);

#endif
