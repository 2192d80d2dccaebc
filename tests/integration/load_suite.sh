#!/usr/bin/env bash
# The load of the experiment this suite reproduces (Rusty, a userspace TCP
# stack, against the Linux stack), against one server: the 500-page corpus,
# 1000 concurrent connections, a new connection per request (close mode), then
# the same connections kept alive, every body checked by loadgen --verify.
# Pass condition: zero timeouts, zero connect and read errors, zero non-2xx,
# zero verify mismatches, and as many requests answered as loadgen counted.
# Nothing here is a speed target: the timeout is generous (LOAD_TIMEOUT,
# 10 s), so a slow machine passes and a lost or stalled request fails.
#
#   tests/integration/load_suite.sh NAME [server args...]
#
# Environment: LOAD_CONNS (1000), LOAD_SECONDS (4), LOAD_TIMEOUT (10),
# LOADGEN_ENGINE (loadgen's --engine; unset: its default),
# SUITE_MTU (1500), and the knobs of lib.sh and scripts/lib/topology.sh.
. "$(dirname "$0")/lib.sh"

NAME=${1:?usage: load_suite.sh NAME [server args...]}
shift
SERVER_ARGS=("$@")
t_need_root
t_need_server "$NAME"
[ -x bin/loadgen ] || t_skip "bin/loadgen not built (run 'make')"
[ -f "$SRV_CORPUS/corpus.uris" ] || t_skip "no corpus in $SRV_CORPUS (run 'make corpus')"
CONNS=${LOAD_CONNS:-1000}
SECONDS_=${LOAD_SECONDS:-4}
TIMEOUT=${LOAD_TIMEOUT:-10}
lab_up
SRV_CORPUS=$SRV_CORPUS/corpus


run_load() { # mode
	local mode=$1 json=$T_TMP/load-$1.json v n
	if ! srv_start "$NAME" --max-conns 20000 "${SERVER_ARGS[@]}"; then
		t_not_ok "$mode: server start" "$(srv_stderr_tail)"
		return
	fi
	ip netns exec "$LAB-cli" bin/loadgen --url "http://$SRV_ADDR:$SRV_PORT/" \
		--paths "$(dirname "$SRV_CORPUS")/corpus.uris" --verify "$SRV_CORPUS" \
		--connections "$CONNS" --mode "$mode" --duration "$SECONDS_" --timeout "$TIMEOUT" \
		${LOADGEN_ENGINE:+--engine "$LOADGEN_ENGINE"} --no-progress --json >"$json" 2>"$T_TMP/load-$mode.err"
	local rc=$?
	srv_stop || t_not_ok "$mode: server stopped cleanly" "exit $SRV_EXIT" "$(srv_stderr_tail)"
	echo "# $mode: server: $SRV_STATS"
	grep -E '^(xsk|tcp) ' "$SRV_OUT" | sed 's/^/# /'
	if [ "$rc" != 0 ] || [ ! -s "$json" ]; then
		t_not_ok "$mode: loadgen ran" "exit $rc: $(tail -n 3 "$T_TMP/load-$mode.err")"
		return
	fi
	n=$(jget "$json" requests)
	echo "# $mode: $n requests, $(jget "$json" req_per_s) req/s"
	[ "${n:-0}" -gt "$CONNS" ] && t_ok "$mode: more requests than connections ($n)" ||
		t_not_ok "$mode: more requests than connections" "requests=$n"
	v=$(jget "$json" connect_errors read_errors timeouts non_2xx verify_mismatches | tr '\n' ' ')
	if [ "$v" = "0 0 0 0 0 " ]; then
		t_ok "$mode: $CONNS connections, no failed request"
	else
		t_not_ok "$mode: $CONNS connections, no failed request" \
			"connect_errors read_errors timeouts non_2xx verify_mismatches: $v" \
			"$(grep -i 'first' "$T_TMP/load-$mode.err" | head -n 2)"
	fi
	# Every response loadgen counted was one the server sent (a request
	# still in flight at the end is answered but not counted, hence >=).
	[ "$(stat_of requests)" -ge "$n" ] && t_ok "$mode: server answered every request" ||
		t_not_ok "$mode: server answered every request" "server $(stat_of requests), loadgen $n"
}

run_load close
run_load keepalive
t_finish
