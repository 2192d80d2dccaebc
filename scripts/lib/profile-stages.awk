# Stage attribution of a profile: folded stacks ("comm;root;...;leaf COUNT",
# written by scripts/lib/profile.sh) and a stage map (scripts/lib/stages/*.map)
# in, a table of where the profiled CPUs' time went out.
#
#   awk -v comm=httpd-xdp -f scripts/lib/profile-stages.awk MAP FOLDED
#
# Samples of other threads are idle (the idle loop), kernel softirq in other
# contexts (ksoftirqd, or the idle task), or other processes (the machine is
# shared). Share of samples = share of time: cpu-clock is a timer.
BEGIN { FS = "|"; nr = 0 }
FNR == NR {
	if ($0 ~ /^#/ || $0 ~ /^[ \t]*$/) next
	nr++; R_STAGE[nr] = $1; R_DETAIL[nr] = $2; R_WHERE[nr] = $3
	rx = $4; for (i = 5; i <= NF; i++) rx = rx "|" $i  # the regex may hold '|'
	R_RX[nr] = rx
	next
}
{
	line = $0; n = line; sub(/.* /, "", n); n += 0; sub(/ [0-9]+$/, "", line)
	split(line, fr, ";"); depth = length(fr); c = fr[1]
	total += n
	if (c != comm && !(comm == "" && c != "swapper")) {
		if (line ~ /(idle|halt|cpuidle|poll_idle|mwait)/ && line !~ /handle_softirqs/) key = "idle|the idle loop"
		else if (line ~ /(net_rx_action|handle_softirqs)/) key = "softirq elsewhere|kernel network softirq outside our thread (ksoftirqd, idle task)"
		else key = "other processes|other processes on these CPUs (shared machine)"
		add(key, n); next
	}
	own += n
	key = ""
	for (r = 1; r <= nr && key == ""; r++)
		if (R_WHERE[r] == "stack" && line ~ R_RX[r]) key = R_STAGE[r] "|" R_DETAIL[r]
	for (d = depth; d >= 2 && key == ""; d--)
		for (r = 1; r <= nr && key == ""; r++)
			if (R_WHERE[r] == "frame" && fr[d] ~ R_RX[r]) key = R_STAGE[r] "|" R_DETAIL[r]
	if (key == "") { key = "unattributed|user code with no known frame (libc, lost call chain)"; UN[fr[depth]] += n }
	add(key, n)
}
function add(k, v,    s) {
	if (!(k in CNT)) ORDER[++nk] = k
	CNT[k] += v
	s = k; sub(/\|.*/, "", s); STAGE[s] += v
	if (!(s in SEEN)) { SEEN[s] = 1; SORDER[++ns] = s }
}
END {
	if (total == 0) { print "no samples"; exit 1 }
	printf "  %-18s %8s %8s %8s   %s\n", "stage", "samples", "% all", "% " comm, "detail"
	# stages by size, details by size within each
	for (i = 1; i <= ns; i++) for (j = i + 1; j <= ns; j++)
		if (STAGE[SORDER[j]] > STAGE[SORDER[i]]) { t = SORDER[i]; SORDER[i] = SORDER[j]; SORDER[j] = t }
	for (i = 1; i <= ns; i++) {
		s = SORDER[i]; is_own = (s != "idle" && s != "other processes" && s != "softirq elsewhere")
		printf "  %-18s %8d %7.1f%% %8s\n", s, STAGE[s], 100 * STAGE[s] / total,
			is_own && own ? sprintf("%.1f%%", 100 * STAGE[s] / own) : "-"
		m = 0
		for (k in CNT) { kk = k; sub(/\|.*/, "", kk); if (kk == s) L[++m] = k }
		for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (CNT[L[b]] > CNT[L[a]]) { t = L[a]; L[a] = L[b]; L[b] = t }
		if (m > 1 || s == "unattributed")
			for (a = 1; a <= m; a++) {
				dd = L[a]; sub(/^[^|]*\|/, "", dd)
				printf "  %-18s %8d %7.1f%% %8s     %s\n", "", CNT[L[a]], 100 * CNT[L[a]] / total,
					is_own && own ? sprintf("%.1f%%", 100 * CNT[L[a]] / own) : "-", dd
			}
		delete L
	}
	printf "  %-18s %8d %7.1f%%     (%s: %d samples, %.1f%%)\n", "total", total, 100, comm, own, 100 * own / total
	if (length(UN)) {
		printf "  unattributed leaves:"
		m = 0; for (u in UN) L[++m] = u
		for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (UN[L[b]] > UN[L[a]]) { t = L[a]; L[a] = L[b]; L[b] = t }
		for (a = 1; a <= m && a <= 8; a++) printf " %s(%d)", L[a], UN[L[a]]
		printf "\n"
	}
}
