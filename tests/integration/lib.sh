# What every integration test shares: skips, test-case bookkeeping, a lab
# (two network namespaces, scripts/lib/topology.sh) and starting/stopping one
# server of the contract (servers/common/server.h) inside it.
#
#   . "$(dirname "$0")/lib.sh"
#   t_need_root; t_need_tools curl ab
#   lab_up                         # lab "bt<pid>", MTU $SUITE_MTU, removed at exit
#   srv_start epoll [--idle-timeout 1]   # bin/httpd-epoll in the server namespace
#   t_check "name" cmd...          # "ok - name" / "not ok - name"
#   srv_stop [INT]                 # SIGTERM (or the signal given); fails unless
#                                  # exit 0 + "stats" line
#   ready_of KEY / stat_of KEY     # a value of the ready / stats line
#                                  # (docs/server-contract.md)
#   t_finish                       # summary; exit 1 if anything failed
#
# Environment: SUITE_MTU (1500), SUITE_QUEUES (1), SRV_PORT (8080),
# SRV_CORPUS (build/pages), SRV_BIN_DIR (bin), and the TOPO_* knobs of topology.sh, which
# topo_up reads as they are (e.g. TOPO_CLIENT_TX_CSUM=off for httpd-xdp).
# Exit codes follow tests/run.sh: 0 pass, 77 skip (reason on the last line),
# anything else fails. Everything the test started goes at exit, pass or fail.

set -u
T_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$T_ROOT" || exit 1
. scripts/lib/topology.sh

T_PASSED=0
T_FAILED=0
T_FAILURES=()
T_TMP=""
T_BG_PIDS=()
LAB=""
SRV_PID=""
SRV_NAME=""
SRV_N=0
SRV_OUT=""
SRV_ERR=""
SRV_EXIT=""
SRV_READY=""
SRV_STATS=""
SRV_ADDR=$TOPO_SRV_ADDR
SRV_PORT=${SRV_PORT:-8080}
SRV_CORPUS=${SRV_CORPUS:-$T_ROOT/build/pages}
SRV_BIN_DIR=${SRV_BIN_DIR:-bin} # where httpd-NAME lives (another folder: a stand-in server)
SRV_READY_TIMEOUT=${SRV_READY_TIMEOUT:-20} # the corpus is ~68 MB; ASan builds load it slowly
SRV_STOP_TIMEOUT=${SRV_STOP_TIMEOUT:-5}
SRV_BASE="http://$SRV_ADDR:$SRV_PORT"

# --- skipping -------------------------------------------------------------

t_skip() { # reason: printed last, as tests/run.sh shows the last line
	echo "$*"
	exit 77
}

t_need_root() {
	[ "$(id -u)" = 0 ] || t_skip "needs root (network namespaces)"
}

t_need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || t_skip "$t is not installed (make deps)"
	done
}

t_need_server() { # NAME: bin/httpd-NAME
	[ -x "$SRV_BIN_DIR/httpd-$1" ] || t_skip "$SRV_BIN_DIR/httpd-$1 not built yet"
}

t_need_corpus() {
	local s
	for s in tiny 10k 150k 1m corpus; do
		[ -f "$SRV_CORPUS/$s.uris" ] && [ -d "$SRV_CORPUS/$s" ] ||
			t_skip "no page sets in $SRV_CORPUS (run 'make corpus')"
	done
}

# The raw-socket client (tests/integration/httpprobe.c), built by `make`.
t_need_probe() {
	local f
	for f in build/release/tests/httpprobe build/asan/tests/httpprobe; do
		[ -x "$f" ] && { HTTPPROBE=$T_ROOT/$f; return 0; }
	done
	t_skip "build/*/tests/httpprobe not built (run 'make')"
}

# --- test cases -------------------------------------------------------------

t_ok() {
	T_PASSED=$((T_PASSED + 1))
	echo "ok - $1"
}

t_not_ok() { # name [detail lines...]
	local name=$1 line
	shift
	T_FAILED=$((T_FAILED + 1))
	T_FAILURES+=("$name")
	echo "not ok - $name"
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
}

t_check() { # name cmd...: passes when cmd exits 0
	local name=$1
	shift
	if "$@"; then t_ok "$name"; else t_not_ok "$name" "command failed: $*"; fi
}

# Bad input: CMD must exit WANT with exactly one line on stderr.
one_line_fail() { # name want_status cmd...
	local name=$1 want=$2 rc
	shift 2
	"$@" >/dev/null 2>"$T_TMP/err"
	rc=$?
	if [ "$rc" = "$want" ] && [ "$(wc -l <"$T_TMP/err")" = 1 ]; then
		t_ok "$name: exit $rc, '$(cat "$T_TMP/err")'"
	else
		t_not_ok "$name" "exit $rc (want $want), stderr: $(head -c 300 "$T_TMP/err")"
	fi
}

# Case ids listed in SUITE_SKIP (space separated, e.g. "port_in_use") are
# reported as skipped, for engines where a case means nothing (e.g. kernel
# socket state for XDP).
t_wanted() {
	case " ${SUITE_SKIP:-} " in
	*" $1 "*) echo "ok - $1 # SKIP (SUITE_SKIP)"; return 1 ;;
	esac
	return 0
}

t_finish() {
	echo "# $T_PASSED passed, $T_FAILED failed"
	if [ "$T_FAILED" -gt 0 ]; then
		echo "# failed: ${T_FAILURES[*]}"
		exit 1
	fi
	exit 0
}

# --- the lab ---------------------------------------------------------------

t_cleanup() {
	local rc=$? pid
	trap - EXIT
	for pid in "${T_BG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	if [ -n "$SRV_PID" ] && kill -0 "$SRV_PID" 2>/dev/null; then
		kill -KILL "$SRV_PID" 2>/dev/null
		wait "$SRV_PID" 2>/dev/null
	fi
	[ -n "$LAB" ] && topo_down "$LAB"
	[ -n "$T_TMP" ] && rm -rf "$T_TMP"
	exit "$rc"
}

lab_up() {
	T_TMP=$(mktemp -d /tmp/bbtest.XXXXXX) || exit 1
	LAB=bt$$
	trap t_cleanup EXIT
	trap 'exit 130' INT TERM
	echo "# lab $LAB: MTU ${SUITE_MTU:-1500}, queues ${SUITE_QUEUES:-1}, client tx csum ${TOPO_CLIENT_TX_CSUM:-on}"
	topo_up "$LAB" "${SUITE_MTU:-1500}" "${SUITE_QUEUES:-1}" || {
		echo "cannot create the lab $LAB"
		exit 1
	}
}

cli() { topo_cli "$LAB" "$@"; }
srv() { topo_srv "$LAB" "$@"; }
# For background jobs use `ip netns exec "$LAB-cli" cmd &` directly: $! of a
# function run with & is a bash subshell, not cmd, and killing it leaves
# cmd running.

# Remembers a background pid so t_cleanup ends it.
t_bg() { T_BG_PIDS+=("$1"); }

# --- one server ---------------------------------------------------------------

# srv_start NAME [args...]: bin/httpd-NAME --addr --port --workers 1 --corpus
# in the server namespace (later args override these), waiting for "ready".
# Returns 1 (with the reason printed) if it exits or stays silent.
srv_start() {
	local name=$1 i
	shift
	SRV_NAME=$name
	SRV_N=$((SRV_N + 1))
	SRV_OUT=$T_TMP/srv$SRV_N.out
	SRV_ERR=$T_TMP/srv$SRV_N.err
	SRV_READY=""
	# Not through the topo_srv function: a function run with & is a bash
	# subshell, and $! would be that shell, not the server. `ip netns exec`
	# itself execs, so $! is the server.
	ip netns exec "$LAB-srv" "$SRV_BIN_DIR/httpd-$name" --addr "$SRV_ADDR" --port "$SRV_PORT" \
		--workers 1 --corpus "$SRV_CORPUS" "$@" >"$SRV_OUT" 2>"$SRV_ERR" &
	SRV_PID=$!
	for ((i = 0; i < SRV_READY_TIMEOUT * 20; i++)); do
		SRV_READY=$(grep -m 1 '^ready' "$SRV_OUT")
		[ -n "$SRV_READY" ] && return 0
		if ! kill -0 "$SRV_PID" 2>/dev/null; then
			wait "$SRV_PID"
			echo "# httpd-$name exited with $? before its ready line: $(head -c 400 "$SRV_ERR")"
			SRV_PID=""
			return 1
		fi
		sleep 0.05
	done
	echo "# httpd-$name printed no ready line within ${SRV_READY_TIMEOUT}s"
	kill -KILL "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=""
	return 1
}

# srv_stop [SIGNAL]: SIGTERM (or SIGNAL, e.g. INT), then up to
# SRV_STOP_TIMEOUT seconds for a clean exit. Returns 0 only for exit status 0
# with a "stats" line; sets SRV_EXIT and SRV_STATS.
srv_stop() {
	local i sig=${1:-TERM}
	SRV_EXIT="" SRV_STATS=""
	[ -n "$SRV_PID" ] || { SRV_EXIT="not running"; return 1; }
	kill -"$sig" "$SRV_PID" 2>/dev/null
	for ((i = 0; i < SRV_STOP_TIMEOUT * 20; i++)); do
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$SRV_PID" 2>/dev/null; then
		kill -KILL "$SRV_PID" 2>/dev/null
		wait "$SRV_PID" 2>/dev/null
		SRV_PID=""
		SRV_EXIT="still running ${SRV_STOP_TIMEOUT}s after SIGTERM (killed)"
		return 1
	fi
	wait "$SRV_PID"
	SRV_EXIT=$?
	SRV_PID=""
	SRV_STATS=$(grep '^stats' "$SRV_OUT" | tail -n 1)
	[ "$SRV_EXIT" = 0 ] && [ -n "$SRV_STATS" ]
}

# stat_of KEY: a value from the server's last stats line (after srv_stop).
stat_of() {
	echo "$SRV_STATS" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# ready_of KEY: a value from the server's ready line (after srv_start).
ready_of() {
	echo "$SRV_READY" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# jget FILE KEY...: fields of a JSON object (loadgen --json), one per line.
jget() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    print(d[k])' "$@"
}

# The server's stderr, for a failure's details.
srv_stderr_tail() { [ -n "$SRV_ERR" ] && tail -n 5 "$SRV_ERR"; }
