#!/usr/bin/env bash
# Flows and queues with httpd-xdp (one TCP/IP stack per queue, each knowing
# only its own connections):
#   - with two queues, flows spread over both and every request succeeds
#     (net.core.txrehash=0 on the client keeps each flow on its queue);
#   - a flow that moves to another queue (here: the client drops to one tx
#     queue with ethtool -L while connections are open) is reset by the
#     stack that does not know it (unknown_conn_rst), loudly and at once:
#     never a hang. Flows that stayed on their queue keep working, and new
#     connections work.
. "$(dirname "$0")/lib.sh"
t_need_root
t_need_server xdp
t_need_tools ab curl ethtool timeout
t_need_corpus

export TOPO_CLIENT_TX_CSUM=off TOPO_CLIENT_TXREHASH=0
SUITE_QUEUES=2
FLOWS=16
lab_up
srv_start xdp --ifname "$TOPO_SRV_IF" --queues 2 || {
	t_not_ok "start" "$(srv_stderr_tail)"
	t_finish
}

if cli ab -q -k -n 2000 -c 20 "$SRV_BASE/tiny/index.html" >"$T_TMP/ab.out" 2>&1 &&
	grep -q '^Failed requests: *0$' "$T_TMP/ab.out" &&
	grep -q '^Complete requests: *2000$' "$T_TMP/ab.out"; then
	t_ok "two queues: ab -k -n 2000 -c 20, no failure"
else
	t_not_ok "two queues: ab -k -n 2000 -c 20, no failure" "$(tail -n 20 "$T_TMP/ab.out")"
fi

# Runs in the client namespace: opens $FLOWS keep-alive connections, makes a
# request on each, moves the client to one tx queue, makes a second request
# on each. Prints, per flow, "before after" with 200 or "fail".
cat >"$T_TMP/flows.sh" <<'EOF'
trap '' PIPE
get() { # fd: one request, prints the status or "fail"
	local fd=$1 line status len=0 body
	printf 'GET /tiny/index.html HTTP/1.1\r\nHost: t\r\n\r\n' >&"$fd" 2>/dev/null || { echo fail; return; }
	read -r -t 3 -u "$fd" line || { echo fail; return; }
	status=${line#* }
	status=${status%% *}
	while read -r -t 3 -u "$fd" line; do
		line=${line%$'\r'}
		[ -z "$line" ] && break
		case ${line,,} in content-length:*) len=${line#*: } ;; esac
	done
	read -r -t 3 -N "$len" -u "$fd" body || { echo fail; return; }
	echo "$status"
}
fds=() before=()
for ((i = 0; i < FLOWS; i++)); do
	exec {fd}<>"/dev/tcp/$ADDR/$PORT" || exit 1
	fds+=("$fd")
	before+=("$(get "$fd")")
done
ethtool -L "$IFC" tx 1 || exit 1
for ((i = 0; i < FLOWS; i++)); do
	echo "${before[$i]} $(get "${fds[$i]}")"
done
EOF
ip netns exec "$LAB-cli" env FLOWS=$FLOWS ADDR="$SRV_ADDR" PORT="$SRV_PORT" IFC="$TOPO_CLI_IF" \
	timeout 60 bash "$T_TMP/flows.sh" >"$T_TMP/flows.out" 2>&1
rc=$?
before_ok=$(grep -c '^200 ' "$T_TMP/flows.out")
kept=$(grep -c '^200 200$' "$T_TMP/flows.out")
moved=$(grep -c '^200 fail$' "$T_TMP/flows.out")
echo "# $FLOWS flows: $kept kept working, $moved failed after the move"
if [ "$rc" = 0 ] && [ "$before_ok" = "$FLOWS" ]; then
	t_ok "$FLOWS keep-alive flows served before the move"
else
	t_not_ok "$FLOWS keep-alive flows served before the move" "exit $rc" "$(cat "$T_TMP/flows.out")"
fi
# 16 flows hash to 2 queues: all on queue 0 has a chance of 1 in 65536.
t_check "flows that moved queue failed at once ($moved), the others kept working ($kept)" \
	test "$moved" -gt 0 -a $((moved + kept)) = "$FLOWS"
got=$(cli curl -s --max-time 5 "$SRV_BASE/tiny/index.html")
t_check "a new connection after the move is served" test "$got" = "$(cat "$SRV_CORPUS/tiny/index.html")"

if srv_stop; then t_ok "stops cleanly"; else t_not_ok "stops cleanly" "$SRV_EXIT"; fi
xsk=$(grep '^xsk ' "$SRV_OUT" | tail -n 1)
tcp=$(grep '^tcp ' "$SRV_OUT" | tail -n 1)
echo "# $xsk"
echo "# $tcp"
per_queue=$(sed -n 's/.* rx_per_queue=\([0-9/]*\).*/\1/p' <<<"$xsk")
t_check "both queues carried traffic (rx frames per queue: $per_queue)" \
	test "${per_queue%/*}" -gt 0 -a "${per_queue#*/}" -gt 0
rst=$(sed -n 's/.* unknown_conn_rst=\([0-9]*\).*/\1/p' <<<"$tcp")
t_check "each moved flow was reset by the stack that did not know it (unknown_conn_rst=$rst)" \
	test "${rst:-0}" = "$moved"
t_finish
