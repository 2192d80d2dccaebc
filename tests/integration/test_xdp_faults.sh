#!/usr/bin/env bash
# httpd-xdp under faults injected on the client side, both directions, by
# tc BPF programs on the client's veth (tests/integration/fault_inject*.c;
# this kernel has no netem or gact):
#   client -> server: a share of TCP frames lost (and, in the second phase,
#                     duplicated) at the client's egress;
#   server -> client: a share of TCP frames dropped at the client's ingress.
#                     The server side cannot carry this fault: AF_XDP
#                     transmits skip the server's qdiscs and tc hooks.
# Every page must still arrive byte for byte (curl + cmp), in keep-alive and
# in close mode, with no transfer hanging (curl --max-time), no connection
# left open at the end, none given up on by the stack, and, with several
# queues, no flow leaving its queue (net.core.txrehash=0 on the client: see
# httpd-xdp --help, "Steering").
#
# Environment: SUITE_MTU (1500), SUITE_QUEUES (2), FAULT_PAGES_EVERY (10:
# every 10th page of the corpus set, plus the tiny/10k/150k/1m pages).
. "$(dirname "$0")/lib.sh"
t_need_root
t_need_server xdp
t_need_tools curl cmp timeout
t_need_corpus
FAULT_INJECT=""
for f in build/release/tests/fault_inject build/asan/tests/fault_inject; do
	[ -x "$f" ] && FAULT_INJECT=$T_ROOT/$f && break
done
[ -n "$FAULT_INJECT" ] || t_skip "build/*/tests/fault_inject not built (run 'make')"

export TOPO_CLIENT_TX_CSUM=off TOPO_CLIENT_TXREHASH=0
SUITE_QUEUES=${SUITE_QUEUES:-2}
SUITE_MTU=${SUITE_MTU:-1500}
EVERY=${FAULT_PAGES_EVERY:-10}
PAGES_DIR=$SRV_CORPUS
lab_up
# Serve the whole page folder: every set at once, as /<set>/<page>.
PAGES=(/tiny/index.html /10k/index.html /150k/index.html /1m/index.html)
while read -r uri; do PAGES+=("/corpus$uri"); done < <(awk -v n="$EVERY" 'NR % n == 1' "$PAGES_DIR/corpus.uris")
echo "# ${#PAGES[@]} pages, MTU $SUITE_MTU, $SUITE_QUEUES queues"

srv_start xdp --ifname "$TOPO_SRV_IF" --queues "$SUITE_QUEUES" || {
	t_not_ok "start" "$(srv_stderr_tail)"
	t_finish
}

CLI_IF=$TOPO_CLI_IF

# verify DIR: each fetched file against its source; prints the mismatches.
verify() {
	local dir=$1 i bad=0
	for i in "${!PAGES[@]}"; do
		if ! cmp -s "$dir/$i" "$PAGES_DIR${PAGES[$i]}"; then
			echo "differs or missing: ${PAGES[$i]} (curl: $(cat "$dir/$i.rc" 2>/dev/null))"
			bad=$((bad + 1))
		fi
	done
	[ "$bad" = 0 ]
}

# One connection for every page (curl reuses it: keep-alive).
fetch_keepalive() { # dir
	local dir=$1 args=() i
	mkdir -p "$dir"
	for i in "${!PAGES[@]}"; do args+=(-o "$dir/$i" "$SRV_BASE${PAGES[$i]}"); done
	cli curl -s --max-time 90 "${args[@]}"
	echo $? >"$dir/keepalive.rc"
}

# A new connection per page ("Connection: close"), four clients at once.
fetch_close() { # dir
	local dir=$1 lane i pids=()
	mkdir -p "$dir"
	for lane in 0 1 2 3; do
		(
			for ((i = lane; i < ${#PAGES[@]}; i += 4)); do
				cli curl -s --max-time 30 -H 'Connection: close' -o "$dir/$i" \
					"$SRV_BASE${PAGES[$i]}"
				echo $? >"$dir/$i.rc"
			done
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
}

phase() { # name
	local name=$1 dir=$T_TMP/$1 start=$SECONDS report
	fetch_keepalive "$dir/ka"
	if report=$(verify "$dir/ka"); then
		t_ok "$name: keep-alive, ${#PAGES[@]} pages intact ($((SECONDS - start))s)"
	else
		t_not_ok "$name: keep-alive" "curl exit $(cat "$dir/ka/keepalive.rc")" "$report"
	fi
	start=$SECONDS
	fetch_close "$dir/close"
	if report=$(verify "$dir/close"); then
		t_ok "$name: close, ${#PAGES[@]} pages intact ($((SECONDS - start))s)"
	else
		t_not_ok "$name: close" "$report"
	fi
}

FAULT_PID="" FAULT_OUT=""

faults_on() { # fault_inject options...
	local i
	FAULT_OUT=$T_TMP/faults.$SECONDS.out
	ip netns exec "$LAB-cli" "$FAULT_INJECT" --ifname "$CLI_IF" "$@" >"$FAULT_OUT" 2>&1 &
	FAULT_PID=$!
	t_bg "$FAULT_PID"
	for ((i = 0; i < 100; i++)); do
		grep -q '^ready' "$FAULT_OUT" && return 0
		kill -0 "$FAULT_PID" 2>/dev/null || break
		sleep 0.05
	done
	t_not_ok "install the faults ($*)" "$(cat "$FAULT_OUT")"
	return 1
}

# Stops the injector; checks it really dropped (and duplicated) something,
# so the test cannot pass without faults.
faults_off() { # name, counters that must be > 0...
	local name=$1 line c v bad=""
	shift
	kill -TERM "$FAULT_PID"
	wait "$FAULT_PID"
	line=$(grep '^faults' "$FAULT_OUT")
	for c in "$@"; do
		v=$(sed -n "s/.* $c=\([0-9]*\).*/\1/p" <<<"$line")
		[ "${v:-0}" -gt 0 ] || bad="$bad $c"
	done
	if [ -z "$bad" ] && [ -n "$line" ]; then
		t_ok "$name: faults applied (${line#faults })"
	else
		t_not_ok "$name: faults applied" "none of:$bad" "$(cat "$FAULT_OUT")"
	fi
}

if faults_on --egress-drop 2 --ingress-drop 2; then
	phase "2% loss both ways"
	faults_off "2% loss both ways" egress_dropped ingress_dropped
fi
if faults_on --egress-drop 1 --egress-dup 3 --ingress-drop 1; then
	phase "1% loss both ways, 3% duplicated"
	faults_off "1% loss both ways, 3% duplicated" egress_dropped egress_duplicated ingress_dropped
fi

# Closing handshakes that lost a frame finish on the stack's timers.
sleep 3
if srv_stop; then
	t_ok "stops cleanly"
else
	t_not_ok "stops cleanly" "$SRV_EXIT" "$(srv_stderr_tail)"
fi
tcp=$(grep '^tcp ' "$SRV_OUT" | tail -n 1)
echo "# $tcp"
stat() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$tcp"; }
t_check "no connection left open at the end (open_at_stop=$(stat open_at_stop))" \
	test "$(stat open_at_stop)" = 0
t_check "no connection given up on (timed_out=$(stat timed_out))" test "$(stat timed_out)" = 0
# A flow that moved to the other queue would be reset on every segment; one
# or two resets are a duplicated last segment arriving after its connection
# ended, which Linux answers with a reset too.
t_check "flows stayed on their queues (unknown_conn_rst=$(stat unknown_conn_rst), at most 2)" \
	test "$(stat unknown_conn_rst)" -le 2
t_check "the stack retransmitted (retransmits=$(stat retransmits))" test "$(stat retransmits)" -gt 0
t_finish
