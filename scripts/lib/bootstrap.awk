# The statistics of the summary and of REPS=auto (docs/statistics.md): the
# median of a sample and a 95% percentile-bootstrap interval for it. Plain
# POSIX awk (mawk), loaded with -f before a program; no state but the PRNG's.
#
#   bs_ci(v, n)          v[1..n]: sets BS_EST (median of v), BS_LO, BS_HI
#                        (2.5% and 97.5% of the medians of BS_RESAMPLES
#                        resamples of v, with replacement) and BS_N = n.
#                        Needs n >= 1; with n < 3 read only BS_EST.
#   bs_log_ratio_ci(a, b, n)
#                        pairs (a[i], b[i]), all > 0: the same on log(a/b),
#                        back on the ratio scale: BS_EST = median of the
#                        per-pair ratios, BS_LO..BS_HI its interval, widened
#                        to hold Student's t interval too (bs_widen_t).
#                        Medians of logs make "A vs B" exactly 1 / "B vs A".
#   bs_rel_median_ci(v, n)
#                        v > 0: the median and its interval, on log scale
#                        (for one server's own req/s).
#   bs_median(v, n)      the median (mean of the two middle values when even)
#   bs_headline_pairs()  the comparisons the summary headlines and REPS=auto
#                        settles, "a:b ..." with short server names
#
# Reproducible: the generator is our own (Park-Miller, exact in doubles), so
# every awk gives the same interval, and it is reseeded with BS_SEED at each
# call, so an interval does not depend on what was computed before it.
# Resampling n values only ever picks positions 1..n of the sorted sample, so
# a resample is counted as a histogram of positions and its median read from
# the counts: O(n) per resample, no sort of 2000 values.

function bs_headline_pairs() {
	return "uring:epoll xdp:epoll tpc:epoll epoll:nginx epoll:lighttpd uring:nginx xdp:nginx"
}

function bs_seed(s) { BS_X = (s % 2147483646) + 1 }
function bs_rand() { BS_X = (16807 * BS_X) % 2147483647; return BS_X / 2147483647 }

function bs_sort(v, n,    i, j, x) {
	for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
}

function bs_median(v, n,    s, i) {
	for (i = 1; i <= n; i++) s[i] = v[i] + 0
	bs_sort(s, n)
	return (n % 2) ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
}

function bs_ci(v, n,    s, i, r, c, k, cum, lo, hi, key, hist, pos, nd, dv, dc, j, x, y, B) {
	B = (BS_RESAMPLES + 0 > 0) ? BS_RESAMPLES + 0 : 2000
	bs_seed((BS_SEED != "") ? BS_SEED + 0 : 20261201)
	for (i = 1; i <= n; i++) s[i] = v[i] + 0
	bs_sort(s, n)
	BS_N = n
	BS_EST = (n % 2) ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
	BS_LO = BS_HI = BS_EST
	if (n < 2) return
	for (r = 1; r <= B; r++) {
		for (i = 1; i <= n; i++) c[i] = 0
		for (i = 1; i <= n; i++) { k = int(bs_rand() * n) + 1; if (k > n) k = n; c[k]++ }
		# The positions of the lower and upper middle values of the resample.
		lo = hi = 0; cum = 0
		for (i = 1; i <= n && !hi; i++) {
			cum += c[i]
			if (!lo && cum >= int((n + 1) / 2)) lo = i
			if (cum >= int(n / 2) + 1) hi = i
		}
		hist[lo " " hi]++
	}
	# The distinct resampled medians, sorted, with their counts.
	nd = 0
	for (key in hist) { split(key, pos, " "); dv[++nd] = (s[pos[1]] + s[pos[2]]) / 2; dc[nd] = hist[key] }
	for (i = 2; i <= nd; i++) {
		x = dv[i]; y = dc[i]
		for (j = i - 1; j >= 1 && dv[j] > x; j--) { dv[j + 1] = dv[j]; dc[j + 1] = dc[j] }
		dv[j + 1] = x; dc[j + 1] = y
	}
	cum = 0; BS_LO = ""; BS_HI = ""
	for (i = 1; i <= nd; i++) {
		cum += dc[i]
		if (BS_LO == "" && cum >= 0.025 * B) BS_LO = dv[i]
		if (BS_HI == "" && cum >= 0.975 * B) BS_HI = dv[i]
	}
}

# The 97.5% quantile of Student's t with df degrees of freedom.
function bs_t975(df,    t) {
	if (df <= 10) {
		split("12.706 4.303 3.182 2.776 2.571 2.447 2.365 2.306 2.262 2.228", t, " ")
		return t[df] + 0
	}
	return df <= 20 ? 2.086 + (20 - df) * 0.0142 : df <= 30 ? 2.042 + (30 - df) * 0.0044 : df <= 60 ? 2.0 : 1.96
}

# A resample of n values can only pick among them, so with few values the
# bootstrap interval is at most their range: with 3 pairs that range holds
# the true median only 75% of the time. The interval is therefore widened to
# cover Student's t interval of the mean as well (docs/statistics.md); the
# two agree as n grows.
function bs_widen_t(l, n,    i, mu, ss, h) {
	if (n < 2) return
	for (i = 1; i <= n; i++) mu += l[i]
	mu /= n
	for (i = 1; i <= n; i++) ss += (l[i] - mu) * (l[i] - mu)
	h = bs_t975(n - 1) * sqrt(ss / (n - 1) / n)
	if (mu - h < BS_LO) BS_LO = mu - h
	if (mu + h > BS_HI) BS_HI = mu + h
}

function bs_log_ratio_ci(a, b, n,    l, i) {
	for (i = 1; i <= n; i++) l[i] = log(a[i] / b[i])
	bs_ci(l, n)
	bs_widen_t(l, n)
	BS_EST = exp(BS_EST); BS_LO = exp(BS_LO); BS_HI = exp(BS_HI)
}

function bs_rel_median_ci(v, n,    l, i) {
	for (i = 1; i <= n; i++) l[i] = log(v[i])
	bs_ci(l, n)
	bs_widen_t(l, n)
	BS_EST = exp(BS_EST); BS_LO = exp(BS_LO); BS_HI = exp(BS_HI)
}
