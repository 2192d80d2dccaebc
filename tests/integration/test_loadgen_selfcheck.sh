#!/usr/bin/env bash
# bin/loadgen checks itself in open loop (loadgen/send_lag.h): a client that
# keeps its schedule reports client_bound=0 and nothing never-sent; a client
# starved of CPU (pinned to one CPU beside a busy loop pinned there too, at a
# rate it cannot meet) is flagged client-bound for its send lag, with the
# reason on stderr and in the JSON. Every request of the schedule is either
# sent or never sent. Closed loop leaves the open-loop columns empty.
# Against httpd-epoll in the test's own lab; no timing threshold is asserted
# beyond the one loadgen is asked to apply.
. "$(dirname "$0")/lib.sh"

t_need_root
t_need_tools python3 taskset timeout
LOADGEN=${LOADGEN:-bin/loadgen}
[ -x "$LOADGEN" ] || t_skip "$LOADGEN not built (run 'make')"
t_need_server epoll
lab_up

PAGES=$T_TMP/pages
mkdir -p "$PAGES"
printf 'Hello, World!' >"$PAGES/index.html"
SRV_CORPUS=$PAGES
URL=http://$SRV_ADDR:$SRV_PORT/
# The client's CPU: the last one (the server, unpinned, can use the others).
CPU=$(($(nproc) - 1))

lg() { ip netns exec "$LAB-cli" taskset -c "$CPU" "$LOADGEN" --url "$URL" --no-progress --engine "${LOADGEN_ENGINE:-epoll}" "$@"; }

expect_eq() { # name got want
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_not_ok "$1" "got '$2', want '$3'"; fi
}

# jcheck NAME FILE PYTHON-EXPR: the expression over d (the JSON object) holds.
jcheck() {
	local name=$1 file=$2 expr=$3 out
	out=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2])
print("ok" if ok else "no: " + json.dumps({k: d.get(k) for k in ("client_bound", "bound", "send_lag_p50_us", "send_lag_p99_us", "send_lag_max_us", "never_sent", "sent", "max_send_lag_us", "client_bound_reason", "loadgen_cpu_pct")}))' "$file" "$expr" 2>&1)
	if [ "$out" = ok ]; then t_ok "$name"; else t_not_ok "$name" "$out"; fi
}

srv_start epoll || { t_not_ok "server start" "$(srv_stderr_tail)"; t_finish; }

# --- a client that keeps its schedule ------------------------------------------
# 200 req/s on an idle connection pool: the lag limit is set far above any
# scheduler delay a slow machine has, so only a broken bookkeeping fails it.
lg --rate 200 --connections 4 --duration 1 --timeout 5 --max-send-lag 50ms --json \
	>"$T_TMP/easy.json" 2>"$T_TMP/easy.err"
expect_eq "unstarved: loadgen exit status" "$?" 0
echo "# unstarved: $(jget "$T_TMP/easy.json" send_lag_p50_us send_lag_p99_us lat_p99_us lat_uncorrected_p99_us | paste -sd ' ') (lag p50/p99, latency p99 corrected/uncorrected, us)"
jcheck "unstarved: client_bound=0, bound is not client" "$T_TMP/easy.json" \
	'd["client_bound"] == 0 and d["bound"] != "client" and d["client_bound_reason"] is None'
jcheck "unstarved: never_sent=0" "$T_TMP/easy.json" 'd["never_sent"] == 0'
jcheck "unstarved: every scheduled request sent (200)" "$T_TMP/easy.json" 'd["sent"] == 200'
jcheck "unstarved: send lag and uncorrected latency reported" "$T_TMP/easy.json" \
	'all(d[k] is not None and d[k] >= 0 for k in ("send_lag_p50_us", "send_lag_p99_us", "send_lag_max_us", "lat_uncorrected_p50_us", "lat_uncorrected_p99_us", "lat_uncorrected_p999_us")) and d["send_lag_p50_us"] <= d["send_lag_p99_us"] <= d["send_lag_max_us"]'
jcheck "unstarved: latency from the due time >= from the send" "$T_TMP/easy.json" \
	'd["lat_p50_us"] >= d["lat_uncorrected_p50_us"] and d["lat_p99_us"] >= d["lat_uncorrected_p99_us"]'
jcheck "unstarved: max_send_lag_us is the limit asked" "$T_TMP/easy.json" 'd["max_send_lag_us"] == 50000'
if grep -q 'client-bound' "$T_TMP/easy.err"; then
	t_not_ok "unstarved: no client-bound line on stderr" "$(cat "$T_TMP/easy.err")"
else
	t_ok "unstarved: no client-bound line on stderr"
fi

# --- a starved client ------------------------------------------------------------
# A busy loop on the client's CPU takes half of it, and the rate is more than
# one thread can send anyway: the schedule slips by far more than 1 ms, the
# default limit. `timeout` bounds the loop even if this script is killed.
timeout 60 taskset -c "$CPU" sh -c 'while :; do :; done' &
hog=$!
t_bg "$hog"
lg --rate 500000 --connections 32 --duration 1 --timeout 5 --json \
	>"$T_TMP/starved.json" 2>"$T_TMP/starved.err"
expect_eq "starved: loadgen exit status" "$?" 0
kill -TERM "$hog" 2>/dev/null
wait "$hog" 2>/dev/null
echo "# starved: $(jget "$T_TMP/starved.json" send_lag_p50_us send_lag_p99_us never_sent sent loadgen_cpu_pct | paste -sd ' ') (lag p50/p99 us, never sent, sent, CPU %)"
jcheck "starved: client_bound=1, bound=client" "$T_TMP/starved.json" \
	'd["client_bound"] == 1 and d["bound"] == "client"'
jcheck "starved: the default limit is p99 1 ms" "$T_TMP/starved.json" 'd["max_send_lag_us"] == 1000'
jcheck "starved: the reason names the send lag" "$T_TMP/starved.json" \
	'"send lag" in (d["client_bound_reason"] or "")'
jcheck "starved: send lag above the limit (p99, or never sent)" "$T_TMP/starved.json" \
	'(d["send_lag_p99_us"] or 0) > d["max_send_lag_us"] or d["never_sent"] > d["sent"] / 99'
jcheck "starved: sent + never_sent = rate x duration (500000)" "$T_TMP/starved.json" \
	'd["sent"] + d["never_sent"] == 500000'
jcheck "starved: never-sent requests are among the timeouts or connect errors" "$T_TMP/starved.json" \
	'd["never_sent"] <= d["timeouts"] + d["connect_errors"]'
if grep -q '^loadgen: client-bound: .*send lag' "$T_TMP/starved.err"; then
	t_ok "starved: stderr says why it is client-bound"
else
	t_not_ok "starved: stderr says why it is client-bound" "$(cat "$T_TMP/starved.err")"
fi

# --- closed loop: the open-loop columns stay empty -----------------------------
lg --connections 2 --duration 0.3 --json >"$T_TMP/closed.json" 2>/dev/null
jcheck "closed loop: send lag, never_sent, uncorrected latency empty" "$T_TMP/closed.json" \
	'all(d[k] is None for k in ("send_lag_p50_us", "send_lag_p99_us", "send_lag_max_us", "never_sent", "max_send_lag_us", "lat_uncorrected_p50_us", "lat_uncorrected_p99_us", "lat_uncorrected_p999_us"))'

srv_stop || t_not_ok "server stopped cleanly" "$SRV_EXIT"

# --- a bad limit: one line, exit 2 ----------------------------------------------
"$LOADGEN" --url "$URL" --max-send-lag soon >/dev/null 2>"$T_TMP/bad.err"
rc=$?
if [ "$rc" = 2 ] && [ "$(wc -l <"$T_TMP/bad.err")" = 1 ]; then
	t_ok "--max-send-lag soon: exit 2, '$(cat "$T_TMP/bad.err")'"
else
	t_not_ok "--max-send-lag soon: exit 2 with one line" "exit $rc: $(cat "$T_TMP/bad.err")"
fi

t_finish
