#!/usr/bin/env bash
# The HTTP integration suite, the same for every server of the contract:
#
#   tests/integration/http_suite.sh NAME [extra server args...]
#
# runs bin/httpd-NAME in the server namespace of a fresh lab and checks it
# from the client namespace: every page of every set byte for byte, HEAD,
# keep-alive, pipelining, each bad-input class (right status, then a close),
# HTTP/1.0, ab with and without keep-alive, 1000 idle connections, load
# clients (h2load --h1 and bin/loadgen in keep-alive and close mode, zero
# errors, the server's count covering theirs), the idle timeout, SIGTERM, and
# the command-line contract (bad option, missing corpus, port in use). Extra
# args go to every server started (e.g. "--ifname veth-srv" for httpd-xdp).
#
# Environment: SUITE_MTU, SUITE_QUEUES, SUITE_SKIP (case names to skip, e.g.
# "h2load loadgen"), SUITE_LOAD_DURATION (loadgen seconds per mode, 1.5), LOADGEN,
# TOPO_* (lab knobs, see scripts/lib/topology.sh), SRV_PORT, SRV_CORPUS,
# SRV_BIN_DIR (to run the suite against a stand-in, e.g. nginx behind a
# wrapper that speaks the contract).
# Prints "ok - case" / "not ok - case"; exit 0, 1 (a case failed) or 77.

. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || { echo "usage: $0 SERVER [server args...]" >&2; exit 2; }
NAME=$1
shift
EXTRA=("$@")

t_need_server "$NAME"
t_need_root
t_need_tools curl ab ss cmp diff timeout
t_need_corpus
t_need_probe
lab_up

SETS="tiny 10k 150k 1m corpus"
REQ_N=0

# --- helpers -------------------------------------------------------------------

# exchange REQUEST-PRINTF-FORMAT [TIMEOUT_S]: sends the bytes in one write
# from the client namespace, sets EX_OUT (httpprobe's report), EX_RC (0
# closed by the server, 3 still open at the timeout, 4 reset) and EX_DIR
# (the bodies, 1.body, 2.body, ...).
exchange() {
	REQ_N=$((REQ_N + 1))
	local req=$T_TMP/req$REQ_N
	EX_DIR=$T_TMP/bodies$REQ_N
	mkdir -p "$EX_DIR"
	# shellcheck disable=SC2059 # the format is the request, escapes and all
	printf "$1" >"$req"
	EX_OUT=$(cli "$HTTPPROBE" exchange "$SRV_ADDR" "$SRV_PORT" "$req" "${2:-5}" "$EX_DIR" 2>&1)
	EX_RC=$?
}

# The status codes of the responses in EX_OUT, space separated.
ex_statuses() { awk '$1 == "response" { printf "%s%s", s, $4; s = " " }' <<<"$EX_OUT"; }
ex_end() { awk '$1 == "end" { print $2 }' <<<"$EX_OUT"; }
ex_trailing() { awk '$1 == "end" { print $6 }' <<<"$EX_OUT"; }
ex_field() { # response-number field-name: e.g. "1 connection"
	awk -v n="$1" -v f="$2" '$1 == "response" && $2 == n {
		for (i = 3; i < NF; i += 2) if ($i == f) print $(i + 1) }' <<<"$EX_OUT"
}

# expect_error NAME STATUS REQUEST: exactly one response with STATUS, nothing
# after it, and the server closes the connection (no hang, no reset).
expect_error() {
	local name=$1 status=$2
	exchange "$3"
	if [ "$(ex_statuses)" = "$status" ] && [ "$(ex_end)" = closed ] &&
		[ "$(ex_trailing)" = 0 ]; then
		t_ok "$name: $status, then close"
	else
		t_not_ok "$name: $status, then close" "probe said:" "$EX_OUT"
	fi
}

H="Host: bench\r\n"

# fetch_set SET: every URI of the set in one curl (one kept-alive connection),
# then each file compared byte for byte with the generated page.
fetch_set() {
	local set=$1 cfg=$T_TMP/curl-$1.cfg got=$T_TMP/got/$1 report=$T_TMP/curl-$1.out
	local uri n=0 bad codes
	mkdir -p "$got"
	while read -r uri; do
		printf 'url = "%s/%s%s"\noutput = "%s%s"\n' "$SRV_BASE" "$set" "$uri" "$got" "$uri"
		n=$((n + 1))
	done <"$SRV_CORPUS/$set.uris" >"$cfg"
	timeout 60 ip netns exec "$LAB-cli" curl -s --max-time 30 -K "$cfg" \
		-w '%{http_code} %{num_connects} %{url_effective}\n' >"$report" 2>&1
	codes=$(awk '$1 != 200' "$report" | head -n 3)
	# One diff for the whole set (500 cmp processes take seconds on a busy
	# machine); it also reports pages that were not fetched at all.
	mapfile -t bad < <(diff -rq "$SRV_CORPUS/$set" "$got" 2>&1)
	if [ "$(wc -l <"$report")" = "$n" ] && [ -z "$codes" ] && [ ${#bad[@]} = 0 ]; then
		t_ok "every page of $set byte for byte ($n pages, $(awk '{ c += $2 } END { print c }' "$report") connection(s))"
	else
		t_not_ok "every page of $set byte for byte ($n pages)" \
			"curl lines: $(wc -l <"$report") of $n; first non-200: ${codes:-none}" \
			"differing or missing: ${#bad[@]}" "${bad[@]:0:5}"
	fi
	rm -rf "$got"
}

# ab_run NAME ab-args...: zero failed, zero non-2xx, all complete.
ab_run() {
	local name=$1 out complete failed non2xx
	shift
	out=$(timeout 50 ip netns exec "$LAB-cli" ab -q -s 10 "$@" 2>&1)
	local rc=$?
	complete=$(awk '/^Complete requests:/ { print $3 }' <<<"$out")
	failed=$(awk '/^Failed requests:/ { print $3 }' <<<"$out")
	non2xx=$(awk '/^Non-2xx responses:/ { print $3 }' <<<"$out")
	AB_OUT=$out
	if [ $rc = 0 ] && [ "$complete" = "${AB_N}" ] && [ "$failed" = 0 ] && [ -z "$non2xx" ]; then
		t_ok "$name: $complete requests, 0 failed, 0 non-2xx"
		return 0
	fi
	t_not_ok "$name" "ab exit $rc, complete ${complete:-?}, failed ${failed:-?}, non-2xx ${non2xx:-0}" \
		"$(grep -v '^$' <<<"$out" | tail -n 12)"
	return 1
}

# --- the main server --------------------------------------------------------------

if ! srv_start "$NAME" "${EXTRA[@]}"; then
	t_not_ok "httpd-$NAME starts and prints ready" "$(srv_stderr_tail)"
	t_finish
fi
t_ok "httpd-$NAME starts and prints ready: $(head -n 1 "$SRV_OUT")"

for set in $SETS; do
	fetch_set "$set"
done

body=$(cli curl -s --max-time 5 "$SRV_BASE/tiny/")
if [ "$body" = "Hello, World!" ]; then t_ok "/tiny/ serves /tiny/index.html"
else t_not_ok "/tiny/ serves /tiny/index.html" "got: ${body:0:200}"; fi

# HEAD: the GET's headers, no body (nothing after the header section).
exchange "HEAD /10k/index.html HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
if [ "$(ex_statuses)" = 200 ] && [ "$(ex_field 1 content-length)" = 10240 ] &&
	[ "$(ex_trailing)" = 0 ] && [ "$(ex_end)" = closed ]; then
	t_ok "HEAD: 200, Content-Length 10240, no body"
else
	t_not_ok "HEAD: 200, Content-Length 10240, no body" "$EX_OUT"
fi
heads=$(cli curl -s -D - -o /dev/null --max-time 5 "$SRV_BASE/10k/index.html" | tr -d '\r')
ctype=$(awk -F': ' 'tolower($1) == "content-type" { print $2 }' <<<"$heads")
case $ctype in
text/html*) t_ok "Content-Type of .html is text/html ($ctype)" ;;
*) t_not_ok "Content-Type of .html is text/html" "headers:" "$heads" ;;
esac

# Keep-alive: several URLs in one curl reuse one connection.
conns=$(cli curl -s --max-time 10 -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
	-w '%{http_code} %{num_connects}\n' "$SRV_BASE/tiny/index.html" \
	"$SRV_BASE/1m/index.html" "$SRV_BASE/10k/index.html" "$SRV_BASE/tiny/index.html")
if [ "$(awk '$1 == 200 { n++; c += $2 } END { print n "/" c }' <<<"$conns")" = 4/1 ]; then
	t_ok "keep-alive: 4 requests over 1 connection"
else
	t_not_ok "keep-alive: 4 requests over 1 connection" "curl: $conns"
fi

# An HTTP/1.1 connection stays open after a response (until the idle timeout).
exchange "GET /tiny/index.html HTTP/1.1\r\n${H}\r\n" 1.5
if [ "$(ex_statuses)" = 200 ] && [ "$(ex_end)" = timeout ] && [ "$(ex_field 1 connection)" = keep-alive ]; then
	t_ok "HTTP/1.1 keeps the connection open after a response"
else
	t_not_ok "HTTP/1.1 keeps the connection open after a response" "$EX_OUT"
fi

# Pipelining: four requests in one write, answered in order.
exchange "GET /tiny/index.html HTTP/1.1\r\n${H}\r\nHEAD /10k/index.html HTTP/1.1\r\n${H}\r\nGET /10k/index.html HTTP/1.1\r\n${H}\r\nGET /tiny/index.html HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
if [ "$(ex_statuses)" = "200 200 200 200" ] && [ "$(ex_end)" = closed ] && [ "$(ex_trailing)" = 0 ] &&
	cmp -s "$EX_DIR/1.body" "$SRV_CORPUS/tiny/index.html" && [ ! -s "$EX_DIR/2.body" ] &&
	[ "$(ex_field 2 content-length)" = 10240 ] && cmp -s "$EX_DIR/3.body" "$SRV_CORPUS/10k/index.html" &&
	cmp -s "$EX_DIR/4.body" "$SRV_CORPUS/tiny/index.html" && [ "$(ex_field 4 connection)" = close ]; then
	t_ok "pipelining: 4 requests in one write, 4 responses in order, then close"
else
	t_not_ok "pipelining: 4 requests in one write, 4 responses in order, then close" "$EX_OUT"
fi

# HTTP/1.0: closes by default, keeps alive when asked.
exchange "GET /tiny/index.html HTTP/1.0\r\n\r\n"
if [ "$(ex_statuses)" = 200 ] && [ "$(ex_end)" = closed ] && cmp -s "$EX_DIR/1.body" "$SRV_CORPUS/tiny/index.html"; then
	t_ok "HTTP/1.0 without keep-alive: 200, then close"
else
	t_not_ok "HTTP/1.0 without keep-alive: 200, then close" "$EX_OUT"
fi
exchange "GET /tiny/index.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /tiny/index.html HTTP/1.0\r\n\r\n"
if [ "$(ex_statuses)" = "200 200" ] && [ "$(ex_end)" = closed ] && [ "$(ex_field 1 connection)" = keep-alive ]; then
	t_ok "HTTP/1.0 with Connection: keep-alive stays open"
else
	t_not_ok "HTTP/1.0 with Connection: keep-alive stays open" "$EX_OUT"
fi
exchange "GET /tiny/index.html HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
if [ "$(ex_statuses)" = 200 ] && [ "$(ex_end)" = closed ]; then
	t_ok "HTTP/1.1 Connection: close: 200, then close"
else
	t_not_ok "HTTP/1.1 Connection: close: 200, then close" "$EX_OUT"
fi

# Input after a request that closes (pipelined requests the server will not
# answer) must not turn the close into a reset that destroys the reply: the
# whole 1 MiB body arrives, then the server's FIN.
m1=$(cd "$SRV_CORPUS/1m" && ls | head -n 1)
more=""
for i in $(seq 200); do more+="GET /tiny/index.html HTTP/1.1\r\n${H}\r\n"; done
exchange "GET /1m/$m1 HTTP/1.1\r\n${H}Connection: close\r\n\r\n$more"
if [ "$(ex_statuses)" = 200 ] && [ "$(ex_end)" = closed ] && cmp -s "$EX_DIR/1.body" "$SRV_CORPUS/1m/$m1"; then
	t_ok "Connection: close with 200 requests behind it: the whole 1 MiB reply, then close (no reset)"
else
	t_not_ok "Connection: close with 200 requests behind it: the whole 1 MiB reply, then close (no reset)" "$EX_OUT"
fi

# Bad input, over a real socket: the right status, then a close.
expect_error "bad request line" 400 "GARBAGE\r\n\r\n"
expect_error "request line without version" 400 "GET /tiny/index.html\r\n${H}\r\n"
expect_error "HTTP/1.1 without Host" 400 "GET /tiny/index.html HTTP/1.1\r\n\r\n"
expect_error "POST" 405 "POST /tiny/index.html HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello"
expect_error "DELETE" 405 "DELETE /tiny/index.html HTTP/1.1\r\n${H}\r\n"
expect_error "target over the limit" 414 "GET /$(head -c 3000 /dev/zero | tr '\0' a) HTTP/1.1\r\n${H}\r\n"
filler=$(head -c 100 /dev/zero | tr '\0' x)
big=""
for i in $(seq 100); do big+="X-Filler-$i: $filler\r\n"; done
expect_error "header section over the limit" 431 "GET /tiny/index.html HTTP/1.1\r\n${H}${big}\r\n"
expect_error "NUL byte in the target" 400 "GET /tiny/index\0.html HTTP/1.1\r\n${H}\r\n"
expect_error "NUL byte in a header" 400 "GET /tiny/index.html HTTP/1.1\r\n${H}X-A: b\0c\r\n\r\n"
expect_error "invalid percent-escape" 400 "GET /tiny/%%zzindex.html HTTP/1.1\r\n${H}\r\n"

# 404 is the one error that keeps the connection (http_core.c: the client did
# nothing wrong): a request pipelined after it is still answered.
exchange "GET /no/such/page.html HTTP/1.1\r\n${H}\r\nGET /tiny/index.html HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
if [ "$(ex_statuses)" = "404 200" ] && [ "$(ex_end)" = closed ] && cmp -s "$EX_DIR/2.body" "$SRV_CORPUS/tiny/index.html"; then
	t_ok "unknown path: 404, and the connection still serves"
else
	t_not_ok "unknown path: 404, and the connection still serves" "$EX_OUT"
fi

# Path traversal: nothing outside the page folder, however it is spelled.
trav_bad=()
for target in "/../../../../../../etc/passwd" "/tiny/../../../../../../etc/passwd" \
	"/%%2e%%2e/%%2e%%2e/%%2e%%2e/%%2e%%2e/etc/passwd" "/tiny/..%%2f..%%2f..%%2f..%%2fetc/passwd" \
	"/%%2E%%2E/%%2E%%2E/%%2E%%2E/etc/passwd" "//etc/passwd" "/tiny/../../pages/tiny/index.html" \
	"/..\\\\..\\\\..\\\\etc\\\\passwd"; do
	exchange "GET $target HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
	st=$(ex_statuses)
	case $st in
	400 | 404) ;;
	*) trav_bad+=("$target -> ${st:-nothing}") ;;
	esac
	grep -qs 'root:' "$EX_DIR"/*.body && trav_bad+=("$target -> served /etc/passwd")
done
if [ ${#trav_bad[@]} = 0 ]; then
	t_ok "path traversal: 8 spellings, all 400 or 404"
else
	t_not_ok "path traversal: 8 spellings, all 400 or 404" "${trav_bad[@]}"
fi
exchange "GET /tiny/./x/../index.html HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
if [ "$(ex_statuses)" = 200 ] && cmp -s "$EX_DIR/1.body" "$SRV_CORPUS/tiny/index.html"; then
	t_ok "dot segments inside the folder resolve (/tiny/./x/../index.html)"
else
	t_not_ok "dot segments inside the folder resolve (/tiny/./x/../index.html)" "$EX_OUT"
fi

# 200 concurrent clients, a new connection per request and keep-alive.
AB_N=4000
ab_run "ab -n 4000 -c 200 (a connection per request)" -n 4000 -c 200 "$SRV_BASE/tiny/index.html"
if ab_run "ab -k -n 4000 -c 200 (keep-alive)" -k -n 4000 -c 200 "$SRV_BASE/10k/index.html"; then
	ka=$(awk '/^Keep-Alive requests:/ { print $3 }' <<<"$AB_OUT")
	if [ "${ka:-0}" -ge 3800 ]; then t_ok "ab -k: $ka of 4000 requests kept alive"
	else t_not_ok "ab -k: requests kept alive" "Keep-Alive requests: ${ka:-none}"; fi
fi

# 1000 idle connections (every other one stuck half-way through its request
# line) do not stop a normal client from being served.
hold_out=$T_TMP/hold.out
ip netns exec "$LAB-cli" "$HTTPPROBE" hold "$SRV_ADDR" "$SRV_PORT" 1000 20 2 >"$hold_out" 2>&1 &
hold_pid=$!
t_bg $hold_pid
for ((i = 0; i < 200; i++)); do
	grep -q '^held' "$hold_out" && break
	kill -0 $hold_pid 2>/dev/null || break
	sleep 0.05
done
if grep -q '^held 1000' "$hold_out"; then
	t_ok "1000 idle connections opened"
	body=$(cli curl -s --max-time 3 "$SRV_BASE/tiny/index.html")
	if [ "$body" = "Hello, World!" ]; then t_ok "served while 1000 connections sit idle"
	else t_not_ok "served while 1000 connections sit idle" "curl got: ${body:-nothing}"; fi
	if t_wanted accept_check; then
		# The server took them off the accept queue (it is not just the
		# kernel holding them): the listener's queue is empty again.
		sleep 0.3
		q=$(srv ss -Hltn "( sport = :$SRV_PORT )" | awk '{ s += $2 } END { print s + 0 }')
		est=$(srv ss -Htn state established "( sport = :$SRV_PORT )" | wc -l)
		if [ "$q" = 0 ] && [ "$est" -ge 1000 ]; then
			t_ok "idle connections accepted by the server ($est established, accept queue 0)"
		else
			t_not_ok "idle connections accepted by the server" "established $est, accept queue $q"
		fi
	fi
else
	t_not_ok "1000 idle connections opened" "$(cat "$hold_out")"
fi
kill -TERM $hold_pid 2>/dev/null
wait $hold_pid 2>/dev/null

# A second instance on the same port must refuse, not share it silently.
if t_wanted port_in_use; then
	out=$(timeout 20 ip netns exec "$LAB-srv" "$SRV_BIN_DIR/httpd-$NAME" --addr "$SRV_ADDR" --port "$SRV_PORT" \
		--workers 1 --corpus "$SRV_CORPUS" "${EXTRA[@]}" 2>"$T_TMP/inuse.err")
	rc=$?
	lines=$(wc -l <"$T_TMP/inuse.err")
	if [ $rc != 0 ] && [ $rc != 124 ] && [ "$lines" = 1 ] && ! grep -q '^ready' <<<"$out"; then
		t_ok "port in use: exit $rc, one line ($(cat "$T_TMP/inuse.err"))"
	else
		t_not_ok "port in use: non-zero exit, one line on stderr" "exit $rc, stdout: ${out:0:200}" \
			"stderr ($lines lines): $(head -c 400 "$T_TMP/inuse.err")"
	fi
	# The failed second start must leave the first one's set-up alone
	# (for httpd-xdp: the XDP program and the queue's socket).
	body=$(cli curl -s --max-time 3 "$SRV_BASE/tiny/index.html")
	if [ "$body" = "Hello, World!" ]; then t_ok "the running server still serves after the refused second start"
	else t_not_ok "the running server still serves after the refused second start" "curl got: ${body:-nothing}"; fi
fi

if srv_stop; then
	t_ok "SIGTERM: exit 0 with a stats line ($SRV_STATS)"
else
	t_not_ok "SIGTERM: exit 0 with a stats line" "exit: $SRV_EXIT" "$(srv_stderr_tail)"
fi

# --- load clients -----------------------------------------------------------------

# Real load tools against a fresh server, so that its stats line counts only
# their requests: h2load in HTTP/1.1 mode (50 kept-alive connections) on the
# tiny page and on the corpus page of median size, then bin/loadgen over every
# corpus page with --verify, keep-alive and a connection per request. Zero
# errors of any kind, only 2xx, and the server answered at least every
# response the clients received. A missing tool is a skipped case, said so.

LOAD_H2_N=2000
LOAD_H2_C=50
LOAD_DURATION=${SUITE_LOAD_DURATION:-1.5} # loadgen seconds per mode
LOAD_SEEN=0 # complete responses the clients received: the server's floor
LOADGEN=${LOADGEN:-bin/loadgen}

# h2load_run NAME URL: every request succeeded, none failed, errored or timed
# out, all 2xx. h2load --h1 keeps its connections alive.
h2load_run() {
	local name="h2load --h1 -n $LOAD_H2_N -c $LOAD_H2_C -m 1, $1" out rc total ndone ok failed errored tmo s2xx
	out=$(timeout 40 ip netns exec "$LAB-cli" h2load --h1 -n "$LOAD_H2_N" -c "$LOAD_H2_C" -m 1 \
		-N 10 "$2" 2>&1)
	rc=$?
	# requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored, 0 timeout
	read -r total ndone ok failed errored tmo < <(awk '$1 == "requests:" { print $2, $6, $8, $10, $12, $14 }' <<<"$out")
	# status codes: 2000 2xx, 0 3xx, 0 4xx, 0 5xx
	s2xx=$(awk '$1 == "status" && $2 == "codes:" { print $3 }' <<<"$out")
	LOAD_SEEN=$((LOAD_SEEN + ${s2xx:-0}))
	if [ $rc = 0 ] && [ "${total:-}" = "$LOAD_H2_N" ] && [ "${ndone:-}" = "$LOAD_H2_N" ] &&
		[ "${ok:-}" = "$LOAD_H2_N" ] && [ "${failed:-}" = 0 ] && [ "${errored:-}" = 0 ] &&
		[ "${tmo:-}" = 0 ] && [ "${s2xx:-}" = "$LOAD_H2_N" ]; then
		t_ok "$name: $ok succeeded, all 2xx ($(awk '$1 == "finished" { print $4, $5 }' <<<"$out" | tr -d ,))"
	else
		t_not_ok "$name: all succeeded, 0 failed/errored/timeout, all 2xx" "h2load exit $rc" \
			"$(grep -E '^(requests|status codes|traffic):' <<<"$out")" "$(grep -v '^$' <<<"$out" | tail -n 4)"
	fi
}

# jnum FILE KEY: a top-level field of loadgen's one-line JSON.
jnum() { grep -o "\"$2\":[^,}]*" "$1" | head -n 1 | cut -d: -f2 | tr -d '"'; }

# loadgen_run MODE [loadgen args...]: the corpus pages at random for
# LOAD_DURATION, every body verified; zero connect or read errors, timeouts,
# non-2xx and mismatches; every response verified.
loadgen_run() {
	local mode=$1 json=$T_TMP/lg-$1.json err=$T_TMP/lg-$1.err rc k bad=() n
	shift
	local name="loadgen --mode $mode${*:+ $*} --verify, corpus, ${LOAD_DURATION}s"
	timeout 30 ip netns exec "$LAB-cli" "$LOADGEN" --url "$SRV_BASE/" --paths "$LOAD_URIS" \
		--verify "$SRV_CORPUS" --mode "$mode" --connections 20 --duration "$LOAD_DURATION" \
		--timeout 5 --no-progress --json "$@" >"$json" 2>"$err"
	rc=$?
	n=$(jnum "$json" requests)
	LOAD_SEEN=$((LOAD_SEEN + ${n:-0}))
	if [ $rc != 0 ] || [ -z "$n" ]; then
		bad+=("loadgen exit $rc, no report: $(head -c 300 "$err")")
	else
		[ "$n" -gt 0 ] || bad+=("requests=0")
		for k in connect_errors read_errors timeouts non_2xx verify_mismatches; do
			[ "$(jnum "$json" $k)" = 0 ] || bad+=("$k=$(jnum "$json" $k)")
		done
		[ "$(jnum "$json" verified)" = "$n" ] || bad+=("verified=$(jnum "$json" verified) of $n")
	fi
	if [ ${#bad[@]} = 0 ]; then
		t_ok "$name: $n requests ($(jnum "$json" connects) connections), no errors, all verified"
	else
		t_not_ok "$name" "${bad[@]}"
	fi
}

if ! command -v h2load >/dev/null 2>&1 && [ ! -x "$LOADGEN" ]; then
	echo "ok - load clients # SKIP (h2load not installed: make deps; $LOADGEN not built: make)"
elif srv_start "$NAME" "${EXTRA[@]}"; then
	if ! command -v h2load >/dev/null 2>&1; then
		echo "ok - h2load # SKIP (h2load is not installed: make deps installs nghttp2-client)"
	elif t_wanted h2load; then
		h2load_run "tiny page" "$SRV_BASE/tiny/index.html"
		# The corpus page of median size (about 65 KB): many segments per response.
		mid=$(cd "$SRV_CORPUS/corpus" && find . -type f -printf '%s %P\n' | sort -n -k1,1 -k2 |
			awk '{ p[NR] = $2 } END { print p[int((NR + 1) / 2)] }')
		h2load_run "corpus page /corpus/$mid" "$SRV_BASE/corpus/$mid"
	fi
	if [ ! -x "$LOADGEN" ]; then
		echo "ok - loadgen # SKIP ($LOADGEN not built: make)"
	elif t_wanted loadgen; then
		# The server serves SRV_CORPUS, so the corpus set's URIs take its folder.
		LOAD_URIS=$T_TMP/load-corpus.uris
		sed 's|^|/corpus|' "$SRV_CORPUS/corpus.uris" >"$LOAD_URIS"
		loadgen_run keepalive
		# Connection: close: the server closes first, so the TIME_WAIT is
		# the server's, never the client's (loadgen closes after its FIN).
		# (Other clients above left TIME_WAIT of their own: count what is new.)
		tw0=$(cli ss -Htan state time-wait | wc -l)
		loadgen_run close
		tw1=$(cli ss -Htan state time-wait | wc -l)
		if [ "$tw1" -le "$tw0" ]; then
			t_ok "close mode: the server closed first (no new TIME_WAIT on the client)"
		else
			t_not_ok "close mode: the server closed first (no new TIME_WAIT on the client)" \
				"client sockets in TIME_WAIT: $tw0 before, $tw1 after"
		fi
		# --linger0: the client resets instead (no TIME_WAIT anywhere).
		loadgen_run close --linger0
	fi
	if srv_stop; then
		served=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$SRV_STATS")
		if [ "${served:-0}" -ge "$LOAD_SEEN" ]; then
			t_ok "after the load clients: exit 0, requests=$served >= $LOAD_SEEN responses the clients received"
		else
			t_not_ok "after the load clients: the server counts every response the clients received" \
				"clients received $LOAD_SEEN, server: $SRV_STATS"
		fi
	else
		t_not_ok "SIGTERM after the load clients: exit 0 with a stats line" "exit: $SRV_EXIT" "$(srv_stderr_tail)"
	fi
else
	t_not_ok "httpd-$NAME starts for the load clients" "$(srv_stderr_tail)"
fi

# --- idle timeout -----------------------------------------------------------------

if srv_start "$NAME" "${EXTRA[@]}" --idle-timeout 1; then
	out=$(cli "$HTTPPROBE" hold "$SRV_ADDR" "$SRV_PORT" 2 6 2 2>&1)
	last=$(awk '$1 == "closed" { print $8 }' <<<"$out")
	if grep -q '^closed 2 of 2 ' <<<"$out" && [ "${last:-0}" -ge 500 ] && [ "$last" -le 4000 ]; then
		t_ok "--idle-timeout 1 closes a silent and a half-sent connection (last after ${last} ms)"
	else
		t_not_ok "--idle-timeout 1 closes a silent and a half-sent connection within 0.5-4 s" "$out"
	fi
	exchange "GET /tiny/index.html HTTP/1.1\r\n${H}\r\n" 6
	if [ "$(ex_statuses)" = 200 ] && [ "$(ex_end)" = closed ]; then
		t_ok "--idle-timeout 1 closes a kept-alive connection after its response"
	else
		t_not_ok "--idle-timeout 1 closes a kept-alive connection after its response" "$EX_OUT"
	fi
	if srv_stop; then
		t_ok "SIGTERM after the idle-timeout cases: exit 0 with a stats line"
		idle=$(sed -n 's/.* idle_closed=\([0-9]*\).*/\1/p' <<<"$SRV_STATS")
		if [ "${idle:-0}" -ge 3 ]; then t_ok "stats count the 3 idle closes (idle_closed=$idle)"
		else t_not_ok "stats count the 3 idle closes" "$SRV_STATS"; fi
	else
		t_not_ok "SIGTERM after the idle-timeout cases" "exit: $SRV_EXIT" "$(srv_stderr_tail)"
	fi
else
	t_not_ok "httpd-$NAME --idle-timeout 1 starts" "$(srv_stderr_tail)"
fi

# --- the command line ---------------------------------------------------------------

# cmdline NAME EXPECTED(2|nonzero) args...: the exit status and one line on stderr.
cmdline() {
	local name=$1 want=$2 rc lines
	shift 2
	out=$(timeout 20 ip netns exec "$LAB-srv" "$SRV_BIN_DIR/httpd-$NAME" "$@" 2>"$T_TMP/cmd.err")
	rc=$?
	lines=$(wc -l <"$T_TMP/cmd.err")
	if { [ "$want" = nonzero ] && [ $rc != 0 ] && [ $rc != 124 ] || [ $rc = "$want" ]; } &&
		[ "$lines" = 1 ] && ! grep -q '^ready' <<<"$out"; then
		t_ok "$name: exit $rc, one line ($(cat "$T_TMP/cmd.err"))"
	else
		t_not_ok "$name: exit $want, one line on stderr" "exit $rc, stdout: ${out:0:200}" \
			"stderr ($lines lines): $(head -c 400 "$T_TMP/cmd.err")"
	fi
}
base=(--addr "$SRV_ADDR" --port "$SRV_PORT" --workers 1)
cmdline "unknown option" 2 "${base[@]}" --corpus "$SRV_CORPUS" "${EXTRA[@]}" --no-such-option
cmdline "bad --port value" 2 "${base[@]}" --corpus "$SRV_CORPUS" "${EXTRA[@]}" --port 70000
cmdline "missing corpus folder" nonzero "${base[@]}" --corpus "$T_TMP/no-such-folder" "${EXTRA[@]}"

t_finish
