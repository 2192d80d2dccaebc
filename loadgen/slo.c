/* The SLO's syntax and the verdict on a window: see slo.h. */
#include "slo.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const struct {
	const char *suffix;
	double ns;
} units[] = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 } };

/* A strtod that takes plain decimals only (no hex, inf, nan or sign). */
static int parse_decimal(const char *s, double *out, char **end)
{
	const char *p = s;
	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	errno = 0;
	*out = strtod(s, end);
	return errno || *end != p || !isfinite(*out) ? -1 : 0;
}

int slo_parse(const char *s, struct lg_slo *out, char *err, size_t errlen)
{
	char *end;
	double pct, t;

	memset(out, 0, sizeof(*out));
	if (!s || (s[0] != 'p' && s[0] != 'P') || parse_decimal(s + 1, &pct, &end) < 0 || *end != '=' ||
	    pct <= 0 || pct > 100)
		goto bad;
	if (parse_decimal(end + 1, &t, &end) < 0)
		goto bad;
	double ns = -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].suffix))
			ns = t * units[i].ns;
	if (ns < 1 || ns > 3600e9)
		goto bad;
	if (strlen(s) >= sizeof(out->text))
		goto bad;
	out->pct = pct;
	out->max_ns = (uint64_t)llround(ns);
	snprintf(out->text, sizeof(out->text), "%s", s);
	out->text[0] = 'p';
	return 0;
bad:
	snprintf(err, errlen, "--slo '%s': expected pP=TIME, a percentile 0<P<=100 and a time "
		 "with its unit, 1ns..3600s (e.g. p99=2ms, p99.9=500us, p50=1s)", s ? s : "");
	return -1;
}

enum slo_verdict slo_judge(const struct lg_slo *slo, const struct lg_result *r, uint64_t *observed_ns)
{
	uint64_t at = r->latency && r->latency->count ? hist_percentile(r->latency, slo->pct) : 0;
	if (observed_ns)
		*observed_ns = at;
	if (result_failed_requests(r) > 0 || !r->latency || !r->latency->count)
		return SLO_FAILED_REQUESTS;
	if (result_client_bound(r))
		return SLO_CLIENT_BOUND;
	return at > slo->max_ns ? SLO_OVER : SLO_PASS;
}

const char *slo_verdict_name(enum slo_verdict v)
{
	switch (v) {
	case SLO_PASS: return "pass";
	case SLO_OVER: return "over_slo";
	case SLO_CLIENT_BOUND: return "client_bound";
	case SLO_FAILED_REQUESTS: return "failed_requests";
	}
	return "?";
}
