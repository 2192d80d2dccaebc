#!/usr/bin/env bash
# bin/loadgen against httpd-epoll in a lab: its request count equals the
# server's, close mode opens one connection per request, --verify finds a
# corrupted page, open loop sends exactly rate x duration, a server that stops
# answering gives timeouts (not a hang), bad input fails with one line, and
# the CSV row follows docs/csv-schema.md.
#
# LOADGEN_ENGINE (epoll) picks loadgen's --engine: test_loadgen_uring.sh runs
# all of this with --engine uring.
. "$(dirname "$0")/lib.sh"

t_need_root
t_need_tools python3
LOADGEN=${LOADGEN:-bin/loadgen} # e.g. an ASan build elsewhere
[ -x "$LOADGEN" ] || t_skip "$LOADGEN not built (run 'make')"
ENGINE=${LOADGEN_ENGINE:-epoll}
echo "# loadgen --engine $ENGINE"
t_need_server epoll
export TOPO_CLIENT_EXTRA=1 # 198.18.0.3 for --source
lab_up

# A small page set of our own: loads in no time, sizes from 13 bytes to
# 300 KB so bodies span many reads, and an index listing every page.
PAGES=$T_TMP/pages
python3 - "$PAGES" <<'EOF'
import os, random, sys
root = sys.argv[1]
os.makedirs(root + "/sub", exist_ok=True)
rnd = random.Random(4)
uris = ["/"]
open(root + "/index.html", "w").write("Hello, World!")
for i in range(24):
    size = int(10 ** rnd.uniform(2, 5.5))
    open(f"{root}/sub/page-{i:02d}.html", "wb").write(bytes(rnd.getrandbits(8) for _ in range(size)))
    uris.append(f"/sub/page-{i:02d}.html")
open(root + "/../pages.uris", "w").write("\n".join(uris) + "\n")
EOF
INDEX=$T_TMP/pages.uris
SRV_CORPUS=$PAGES
URL=http://$SRV_ADDR:$SRV_PORT/

# A copy with one byte changed in one page: the server serves the original.
BAD=$T_TMP/bad
cp -r "$PAGES" "$BAD"
printf 'X' | dd of="$BAD/sub/page-03.html" bs=1 seek=50 conv=notrunc 2>/dev/null

lg() { ip netns exec "$LAB-cli" "$LOADGEN" --url "$URL" --no-progress --engine "$ENGINE" "$@"; }

expect_eq() { # name got want
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_not_ok "$1" "got '$2', want '$3'"; fi
}

no_errors() { # json: connect/read errors, timeouts and non-2xx all zero
	local v
	v=$(jget "$1" connect_errors read_errors timeouts non_2xx | tr '\n' ' ')
	[ "$v" = "0 0 0 0 " ] || { echo "# errors: $v ($(jget "$1" first_error first_connect_error | tr '\n' ' '))"; return 1; }
}

# --- keep-alive, pipelined, two threads: same count as the server ------------
if srv_start epoll; then
	lg --paths "$INDEX" --threads 2 --connections 6 --pipeline 3 --duration 1 --json >"$T_TMP/ka.json"
	rc=$?
	srv_stop || t_not_ok "server stopped cleanly" "$SRV_EXIT"
	expect_eq "keepalive: loadgen exit status" "$rc" 0
	n=$(jget "$T_TMP/ka.json" requests)
	[ "$n" -gt 0 ] && t_ok "keepalive: requests completed ($n)" || t_not_ok "keepalive: requests completed" "$n"
	expect_eq "keepalive: loadgen requests = server requests" "$n" "$(stat_of requests)"
	t_check "keepalive: no errors" no_errors "$T_TMP/ka.json"
	expect_eq "keepalive: connections = 6" "$(jget "$T_TMP/ka.json" connects)" 6
	expect_eq "keepalive: the JSON names the engine" "$(jget "$T_TMP/ka.json" engine)" "$ENGINE"
else
	t_not_ok "keepalive: server start"
fi

# --- close mode: one accepted connection per request -------------------------
if srv_start epoll; then
	lg --paths "$INDEX" --mode close --connections 4 --duration 1 --json >"$T_TMP/close.json"
	rc=$?
	srv_stop || t_not_ok "server stopped cleanly" "$SRV_EXIT"
	expect_eq "close: loadgen exit status" "$rc" 0
	n=$(jget "$T_TMP/close.json" requests)
	[ "$n" -gt 0 ] && t_ok "close: requests completed ($n)" || t_not_ok "close: requests completed" "$n"
	expect_eq "close: server accepted = loadgen requests" "$(stat_of accepted)" "$n"
	expect_eq "close: server requests = loadgen requests" "$(stat_of requests)" "$n"
	expect_eq "close: connects = requests" "$(jget "$T_TMP/close.json" connects)" "$n"
	t_check "close: no errors" no_errors "$T_TMP/close.json"
else
	t_not_ok "close: server start"
fi

# --- verify, sources, linger0, open loop (one server) ------------------------
if srv_start epoll; then
	lg --paths "$INDEX" --connections 3 --duration 0.5 --verify "$PAGES" --json >"$T_TMP/v-good.json"
	read -r mm checked < <(jget "$T_TMP/v-good.json" verify_mismatches verified | tr '\n' ' ')
	expect_eq "verify: no mismatch against the real pages ($checked checked)" "$mm" 0
	[ "$checked" -gt 0 ] && t_ok "verify: bodies were checked" || t_not_ok "verify: bodies were checked"

	lg --paths "$INDEX" --connections 3 --duration 0.5 --verify "$BAD" --mode close --json >"$T_TMP/v-bad.json"
	mm=$(jget "$T_TMP/v-bad.json" verify_mismatches)
	[ "$mm" -gt 0 ] && t_ok "verify: the corrupted page is found ($mm mismatches)" ||
		t_not_ok "verify: the corrupted page is found" "mismatches=$mm"

	lg --mode close --linger0 --source 198.18.0.2,198.18.0.3 --connections 4 --duration 0.5 --json \
		>"$T_TMP/src.json"
	t_check "close with --linger0 and two --source addresses: no errors" no_errors "$T_TMP/src.json"

	# Open loop: exactly rate x duration requests are scheduled, each one
	# either answered or counted.
	lg --paths "$INDEX" --rate 400 --connections 4 --duration 1 --timeout 5 --json >"$T_TMP/open.json"
	read -r n to re < <(jget "$T_TMP/open.json" requests timeouts read_errors | tr '\n' ' ')
	expect_eq "open loop: requests + timeouts + read errors = 400" "$((n + to + re))" 400
	expect_eq "open loop: target_rate column" "$(jget "$T_TMP/open.json" target_rate)" 400.0

	# A server that stops answering: SIGSTOP (the kernel still accepts).
	kill -STOP "$SRV_PID"
	start=${EPOCHREALTIME/./}
	lg --connections 4 --pipeline 2 --duration 1 --timeout 1 --json >"$T_TMP/stall.json"
	rc=$?
	took_ms=$(((${EPOCHREALTIME/./} - start) / 1000))
	kill -CONT "$SRV_PID"
	expect_eq "stalled server: loadgen exit status" "$rc" 0
	# 1 s duration + 1 s timeout, plus start-up and a loaded machine's slack.
	if [ "$took_ms" -lt 3500 ]; then
		t_ok "stalled server: loadgen ends within duration + timeout (${took_ms} ms)"
	else
		t_not_ok "stalled server: loadgen ends within duration + timeout" "took ${took_ms} ms"
	fi
	read -r n to < <(jget "$T_TMP/stall.json" requests timeouts | tr '\n' ' ')
	expect_eq "stalled server: no request completed" "$n" 0
	[ "$to" -ge 8 ] && t_ok "stalled server: in-flight requests counted as timeouts ($to)" ||
		t_not_ok "stalled server: in-flight requests counted as timeouts" "timeouts=$to"

	# CSV: header once, one row per run, labels in their columns.
	csv=$T_TMP/runs.csv
	lg --duration 0.3 --csv "$csv" --label server=httpd-epoll --label mtu=1500 --label sweep=test --quiet
	lg --duration 0.3 --csv "$csv" --label server=httpd-epoll --label page_set=tiny --quiet
	srv_stop || t_not_ok "server stopped cleanly" "$SRV_EXIT"
	python3 - "$csv" docs/csv-schema.md >"$T_TMP/csv.out" 2>&1 <<'EOF'
import csv, re, sys
rows = list(csv.reader(open(sys.argv[1])))
doc = [m.group(1) for m in re.finditer(r"^\| \d+ \| `([a-z0-9_]+)`", open(sys.argv[2]).read(), re.M)]
assert rows[0] == doc, f"header {rows[0]} != docs {doc}"
assert len(rows) == 3, f"{len(rows)} lines"
h = rows[0]
for r in rows[1:]:
    assert len(r) == len(h), "row width"
    d = dict(zip(h, r))
    assert d["server"] == "httpd-epoll" and int(d["requests"]) > 0 and float(d["req_per_s"]) > 0
    assert d["mode"] == "keepalive" and d["client_bound"] in ("0", "1")
r1, r2 = dict(zip(h, rows[1])), dict(zip(h, rows[2]))
assert r1["mtu"] == "1500" and r1["labels"] == "sweep=test", r1
assert r2["page_set"] == "tiny" and r2["mtu"] == "", r2
print("ok")
EOF
	t_check "csv: header = docs/csv-schema.md, rows and labels in place" grep -qx ok "$T_TMP/csv.out" ||
		sed 's/^/#   /' "$T_TMP/csv.out"
else
	t_not_ok "verify/open loop/stall: server start"
fi

# --- bad input: one line on stderr, non-zero exit -----------------------------
one_line_fail "unreachable target" 1 lg --duration 1
one_line_fail "unknown option" 2 lg --frobnicate
one_line_fail "bad value" 2 lg --connections many
one_line_fail "unknown engine" 2 lg --engine kqueue
one_line_fail "label over a measured column" 2 lg --label requests=5
printf '/ok\nnot a path\n' >"$T_TMP/bad.uris"
one_line_fail "unparsable index" 1 lg --paths "$T_TMP/bad.uris"
one_line_fail "missing index" 1 lg --paths "$T_TMP/nope.uris"
one_line_fail "verify dir without the page" 1 lg --verify "$T_TMP"

# The documented schema is the one loadgen writes.
"$LOADGEN" --print-csv-schema >"$T_TMP/schema.md"
if grep -qFf "$T_TMP/schema.md" docs/csv-schema.md &&
	[ "$(grep -cFxf "$T_TMP/schema.md" docs/csv-schema.md)" = "$(wc -l <"$T_TMP/schema.md")" ]; then
	t_ok "docs/csv-schema.md lists loadgen's columns"
else
	t_not_ok "docs/csv-schema.md lists loadgen's columns" "regenerate: bin/loadgen --print-csv-schema"
fi

t_finish
