#!/usr/bin/env bash
# httpd-xdp leaves the interface as it found it, however it ends: after
# SIGINT, SIGTERM, kill -9 and a startup error no XDP program stays attached
# (ip link, bpftool net); while it runs, ARP and ICMP still reach the kernel;
# a bad interface, an address not on it, a foreign XDP program already
# attached, missing privileges, --csum offload where it cannot be had, and a
# page set that does not fit the UMEM (--tx-body umem: exit 2) each give one
# line on stderr and a non-zero exit.
. "$(dirname "$0")/lib.sh"
t_need_root
t_need_server xdp
t_need_tools ip bpftool curl ping setpriv prlimit timeout

export TOPO_CLIENT_TX_CSUM=off # the stack verifies every checksum
SUITE_QUEUES=1
lab_up
# A one-page corpus: this test is about the interface, not the pages, and
# it must be readable by the unprivileged case too.
mkdir -p "$T_TMP/pages"
printf 'lifecycle\n' >"$T_TMP/pages/index.html"
head -c 1048576 /dev/urandom >"$T_TMP/pages/big.bin" # more frames than a small UMEM holds
chmod -R a+rX "$T_TMP"
SRV_CORPUS=$T_TMP/pages
IFC=$TOPO_SRV_IF

# 0 when some XDP program is attached to the server's interface.
xdp_attached() {
	srv ip -d link show dev "$IFC" | grep -q 'prog/xdp' ||
		srv bpftool net show dev "$IFC" 2>/dev/null | grep -q "^$IFC("
}

# 0 when nothing is attached; waits a little, since the kernel releases a
# dead process's bpf_link from its own context.
nothing_attached() {
	local i
	for ((i = 0; i < 30; i++)); do
		xdp_attached || return 0
		sleep 0.1
	done
	return 1
}

check_detached() { # name
	if nothing_attached; then
		t_ok "$1"
	else
		t_not_ok "$1" "$(srv ip -d link show dev "$IFC")" "$(srv bpftool net show dev "$IFC")"
	fi
}

serves_page() {
	local got
	got=$(cli curl -s --max-time 5 "$SRV_BASE/index.html") && [ "$got" = lifecycle ]
}

# expect_startup_failure NAME [prefix command...] -- [server args...]:
# the server must exit non-zero without a ready line, with exactly one line
# on stderr, and leave nothing attached.
expect_startup_failure() {
	local name=$1 pre=() out=$T_TMP/fail.out err=$T_TMP/fail.err rc lines
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	srv "${pre[@]}" timeout 20 bin/httpd-xdp --addr "$SRV_ADDR" --port "$SRV_PORT" \
		--corpus "$SRV_CORPUS" "$@" >"$out" 2>"$err"
	rc=$?
	FAIL_RC=$rc
	lines=$(wc -l <"$err")
	if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$lines" = 1 ] && ! grep -q '^ready' "$out" &&
		nothing_attached; then
		t_ok "$name: exit $rc, one line: $(cat "$err")"
	else
		t_not_ok "$name" "exit $rc, $lines stderr lines:" "$(head -n 5 "$err")" \
			"$(srv ip -d link show dev "$IFC" | grep xdp)"
	fi
}

# --- a running server ----------------------------------------------------------

if srv_start xdp --ifname "$IFC"; then
	t_check "attached while running" xdp_attached
	# Forget the client's neighbour entry so ARP has to get through too.
	cli ip neigh flush dev "$TOPO_CLI_IF"
	t_check "ARP and ICMP still reach the kernel" cli ping -q -c 2 -W 2 "$SRV_ADDR"
	t_check "serves a page" serves_page
	kill -INT "$SRV_PID"
	wait "$SRV_PID"
	rc=$?
	SRV_PID=""
	if [ "$rc" = 0 ] && grep -q '^stats' "$SRV_OUT"; then
		t_ok "SIGINT: exit 0 with counters"
	else
		t_not_ok "SIGINT: exit 0 with counters" "exit $rc" "$(srv_stderr_tail)"
	fi
	check_detached "SIGINT: nothing left attached"
else
	t_not_ok "start" "$(srv_stderr_tail)"
fi

if srv_start xdp --ifname "$IFC"; then
	if srv_stop; then t_ok "SIGTERM: exit 0 with counters"; else t_not_ok "SIGTERM" "$SRV_EXIT"; fi
	check_detached "SIGTERM: nothing left attached"
else
	t_not_ok "start (SIGTERM case)" "$(srv_stderr_tail)"
fi

if srv_start xdp --ifname "$IFC"; then
	kill -KILL "$SRV_PID"
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=""
	check_detached "kill -9: nothing left attached (bpf_link)"
	# The queue and its AF_XDP socket were freed too: a new server binds it.
	if srv_start xdp --ifname "$IFC" && serves_page; then
		t_ok "kill -9: a new server takes the queue and serves"
	else
		t_not_ok "kill -9: a new server takes the queue and serves" "$(srv_stderr_tail)"
	fi
	srv_stop
	check_detached "after the restart: nothing left attached"
else
	t_not_ok "start (kill -9 case)" "$(srv_stderr_tail)"
fi

# --- startup errors --------------------------------------------------------------

# Fails after the program is loaded (veth has no zero-copy): the error path
# must not leave it behind.
expect_startup_failure "zero-copy refused by veth" -- --ifname "$IFC" --zerocopy
expect_startup_failure "no such interface" -- --ifname nosuch0
expect_startup_failure "address not on the interface" -- --ifname "$IFC" --addr 198.18.0.77
expect_startup_failure "more queues than the interface has" -- --ifname "$IFC" --queues 4
expect_startup_failure "a UMEM smaller than its rings (exit 2)" -- --ifname "$IFC" --umem-frames 1024
expect_startup_failure "a ring size not a power of two" -- --ifname "$IFC" --rx-ring 1000
# The smallest budget it accepts is a working server (a 1 MiB page needs
# ~700 frames through a 256-chunk tx pool).
if srv_start xdp --ifname "$IFC" --umem-frames 1024 --rx-ring 512 --tx-ring 256; then
	got=$(cli curl -s --max-time 10 "$SRV_BASE/big.bin" | cksum)
	want=$(cksum <"$SRV_CORPUS/big.bin")
	if [ "$got" = "$want" ] && serves_page; then
		t_ok "--umem-frames 1024 with smaller rings serves a 1 MiB page"
	else
		t_not_ok "--umem-frames 1024 with smaller rings serves a 1 MiB page" "$got vs $want"
	fi
	srv_stop
else
	t_not_ok "--umem-frames 1024 with smaller rings starts" "$(srv_stderr_tail)"
fi
# Page bodies in the UMEM: the 1 MiB page set takes a little more than
# 1 MiB of chunks (24 bytes of each 4 KiB stay free for tx metadata).
expect_startup_failure "a page set over --umem-pages-max" -- --ifname "$IFC" --tx-body umem --umem-pages-max 1M
t_check "a page set over --umem-pages-max: exit 2" test "$FAIL_RC" = 2
# Locked memory for the frames (4 MiB) but not for the pages too: without
# CAP_IPC_LOCK (and CAP_SYS_RESOURCE, which would lift the limit) the UMEM
# registration fails on RLIMIT_MEMLOCK, in one line, exit 2; the copying
# path, which needs no page bytes in the UMEM, starts at the same limit.
no_lock=(prlimit --memlock=5000000:5000000 setpriv --inh-caps=-ipc_lock,-sys_resource
	--bounding-set=-ipc_lock,-sys_resource)
small_umem=(--ifname "$IFC" --umem-frames 1024 --rx-ring 512 --tx-ring 256)
expect_startup_failure "locked memory for the frames, not the pages" "${no_lock[@]}" -- \
	"${small_umem[@]}" --tx-body umem
t_check "locked memory for the frames, not the pages: exit 2" test "$FAIL_RC" = 2
srv "${no_lock[@]}" timeout 3 bin/httpd-xdp --addr "$SRV_ADDR" --port "$SRV_PORT" \
	--corpus "$SRV_CORPUS" "${small_umem[@]}" --tx-body copy >"$T_TMP/copy.out" 2>"$T_TMP/copy.err"
if grep -q '^ready.*tx_body=copy' "$T_TMP/copy.out"; then
	t_ok "--tx-body copy starts at the same locked-memory limit"
else
	t_not_ok "--tx-body copy starts at the same locked-memory limit" "$(cat "$T_TMP/copy.err")"
fi
check_detached "after the page-set cases: nothing left attached"
expect_startup_failure "bad --tx-body value" -- --ifname "$IFC" --tx-body zero
expect_startup_failure "unprivileged" setpriv --reuid=65534 --regid=65534 --clear-groups \
	-- --ifname "$IFC"
expect_startup_failure "--csum offload with --zerocopy" -- --ifname "$IFC" --csum offload --zerocopy
expect_startup_failure "bad --csum value" -- --ifname "$IFC" --csum hardware

# Checksums: this kernel may offload (tx metadata, 6.10+); the shim plays one
# that cannot, so that both the fallback and the refusal are seen here.
if srv_start xdp --ifname "$IFC"; then
	mode=$(grep -o 'csum=[a-z]*' "$SRV_OUT")
	case $mode in
	csum=offload | csum=software) t_ok "--csum auto: the ready line says which ($mode)" ;;
	*) t_not_ok "--csum auto: the ready line says which" "$(head -n 1 "$SRV_OUT")" ;;
	esac
	srv_stop
else
	t_not_ok "start (--csum auto)" "$(srv_stderr_tail)"
fi
shim=""
for f in build/release/tests/no_tx_metadata.so build/asan/tests/no_tx_metadata.so; do
	[ -f "$f" ] && shim=$T_ROOT/$f && break
done
if [ -n "$shim" ]; then
	expect_startup_failure "--csum offload on a kernel without tx metadata" \
		env LD_PRELOAD="$shim" -- --ifname "$IFC" --csum offload
	if LD_PRELOAD=$shim ASAN_OPTIONS=verify_asan_link_order=0 srv_start xdp --ifname "$IFC" &&
		grep -q 'csum=software' "$SRV_OUT" && serves_page; then
		t_ok "--csum auto on a kernel without tx metadata: csum=software, serves"
	else
		t_not_ok "--csum auto on a kernel without tx metadata" "$(head -n 1 "$SRV_OUT")" \
			"$(srv_stderr_tail)"
	fi
	srv_stop
	check_detached "after the checksum cases: nothing left attached"
else
	t_not_ok "the no-tx-metadata shim" "build/*/tests/no_tx_metadata.so not built (run 'make')"
fi

# A foreign program stays untouched: we refuse, we do not replace it.
foreign=""
for f in build/release/servers/xdp/xdp_redirect.bpf.o build/asan/servers/xdp/xdp_redirect.bpf.o; do
	[ -f "$f" ] && foreign=$f && break
done
if [ -n "$foreign" ] && srv ip link set dev "$IFC" xdp obj "$foreign" sec xdp.frags; then
	out=$T_TMP/foreign.out err=$T_TMP/foreign.err
	srv timeout 20 bin/httpd-xdp --addr "$SRV_ADDR" --port "$SRV_PORT" --corpus "$SRV_CORPUS" \
		--ifname "$IFC" >"$out" 2>"$err"
	rc=$?
	if [ "$rc" != 0 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q 'already attached' "$err" &&
		xdp_attached; then
		t_ok "another XDP program attached: refused in one line, the other left alone"
	else
		t_not_ok "another XDP program attached" "exit $rc" "$(cat "$err")"
	fi
	srv ip link set dev "$IFC" xdp off
	check_detached "foreign program removed by the test"
else
	t_not_ok "attach a foreign XDP program for the test" "object: ${foreign:-none built}"
fi

t_finish
