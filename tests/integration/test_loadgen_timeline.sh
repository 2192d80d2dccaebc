#!/usr/bin/env bash
# bin/loadgen --timeline and --progress against httpd-epoll in a lab: a run
# has the rows its warm-up, duration and interval imply, warm-up rows are
# marked, the measured and drain rows add up to the run's requests (and,
# against a stopped server, to its timeouts), --progress prints the same
# intervals, bad values fail with one line, and the columns are the ones
# docs/csv-schema.md lists.
. "$(dirname "$0")/lib.sh"

t_need_root
t_need_tools python3
LOADGEN=${LOADGEN:-bin/loadgen}
[ -x "$LOADGEN" ] || t_skip "$LOADGEN not built (run 'make')"
t_need_server epoll
lab_up

SRV_CORPUS=$T_TMP/pages
mkdir -p "$SRV_CORPUS"
printf 'Hello, World!' >"$SRV_CORPUS/index.html"
URL=http://$SRV_ADDR:$SRV_PORT/

lg() { ip netns exec "$LAB-cli" "$LOADGEN" --url "$URL" "$@"; }

expect_eq() { # name got want
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_not_ok "$1" "got '$2', want '$3'"; fi
}

# check_timeline NAME TIMELINE JSON WARM MEASURED [key=value...]: the file
# holds one run of WARM warm-up and MEASURED measured rows then one drain
# row, contiguous in time, whose measured and drain rows add up to the
# JSON's requests (and to each key given: a JSON field = the rows' column).
check_timeline() {
	local name=$1
	shift
	python3 - "$@" >"$T_TMP/check.out" 2>&1 <<'EOF'
import csv, json, sys
tl, js, warm, meas = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sums = [kv.split("=") for kv in sys.argv[5:]]
rows = list(csv.DictReader(open(tl)))
run = json.load(open(js))
phases = [r["phase"] for r in rows]
want = ["warmup"] * warm + ["measured"] * meas + ["drain"]
assert phases == want, f"phases {phases} != {want}"
assert [int(r["interval"]) for r in rows] == list(range(len(rows))), "interval numbers"
for a, b in zip(rows, rows[1:]):
    assert a["end_s"] == b["start_s"], f"gap between {a['interval']} and {b['interval']}"
assert float(rows[0]["start_s"]) == 0
for r in rows:
    assert float(r["end_s"]) >= float(r["start_s"]), r
    n = int(r["requests"])
    assert int(r["failed"]) == sum(int(r[k]) for k in ("connect_errors", "read_errors", "timeouts", "non_2xx"))
    if n:
        p = [float(r[k]) for k in ("lat_p50_us", "lat_p90_us", "lat_p99_us", "lat_max_us")]
        assert p == sorted(p) and p[0] > 0, f"percentiles {p}"
    else:
        assert r["lat_p99_us"] == "", r
    assert float(r["loadgen_cpu_pct"]) >= 0
    assert r["run_start"] == rows[0]["run_start"] and r["mode"] == run["mode"]
counted = [r for r in rows if r["phase"] != "warmup"]
got = sum(int(r["requests"]) for r in counted)
assert got == run["requests"], f"measured + drain requests {got} != run's {run['requests']}"
for col, key in sums:
    got = sum(int(r[col]) for r in counted)
    assert got == run[key], f"measured + drain {col} {got} != run's {key} {run[key]}"
print("ok", len(rows), "rows,", run["requests"], "requests")
EOF
	if grep -q '^ok' "$T_TMP/check.out"; then
		t_ok "$name: $(cat "$T_TMP/check.out")"
	else
		t_not_ok "$name" "$(cat "$T_TMP/check.out")"
	fi
}

if srv_start epoll; then
	# --- closed loop: 1 s warm-up, 3 s, intervals of 0.5 s -------------------------
	tl=$T_TMP/closed.csv
	lg --connections 4 --threads 2 --warmup 1 --duration 3 --interval 0.5 --timeline "$tl" \
		--progress --label server=httpd-epoll --label sweep=test --json >"$T_TMP/closed.json" 2>"$T_TMP/closed.err"
	expect_eq "closed loop: loadgen exit status" "$?" 0
	check_timeline "closed loop: 2 warm-up + 6 measured + drain rows, requests add up" \
		"$tl" "$T_TMP/closed.json" 2 6
	python3 - "$tl" >"$T_TMP/labels.out" 2>&1 <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert all(r["server"] == "httpd-epoll" and r["labels"] == "sweep=test" for r in rows), rows[0]
assert sum(int(r["requests"]) for r in rows if r["phase"] == "warmup") > 0, "no request in the warm-up"
assert all(r["failed"] == "0" for r in rows), "failures against a healthy server"
print("ok")
EOF
	t_check "closed loop: labels on every row, warm-up requests counted, no failures" \
		grep -qx ok "$T_TMP/labels.out" || sed 's/^/#   /' "$T_TMP/labels.out"
	n=$(grep -cE '^loadgen: +[0-9.]+-[0-9.]+ +s (warmup|measured|drain) .* req/s  p50 .* p99 .* failed 0  cpu [0-9]+%$' "$T_TMP/closed.err")
	expect_eq "--progress: one line per interval, same figures" "$n" 9

	# --- open loop, no warm-up, intervals of 250 ms ---------------------------------
	tl=$T_TMP/open.csv
	lg --rate 400 --connections 4 --duration 1 --interval 250ms --timeline "$tl" --no-progress \
		--json >"$T_TMP/open.json" 2>"$T_TMP/open.err"
	expect_eq "open loop: loadgen exit status" "$?" 0
	check_timeline "open loop: 4 measured + drain rows, requests add up" "$tl" "$T_TMP/open.json" 0 4

	# --- a run appended to the same file: header once, told apart by run_start ------
	sleep 0.01
	lg --rate 400 --connections 4 --duration 0.5 --interval 250ms --timeline "$tl" --no-progress --quiet
	python3 - "$tl" >"$T_TMP/two.out" 2>&1 <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
starts = sorted({r["run_start"] for r in rows})
assert len(rows) == 5 + 3 and len(starts) == 2, (len(rows), starts)
print("ok")
EOF
	t_check "two runs in one file: one header, two run_start values" grep -qx ok "$T_TMP/two.out" ||
		sed 's/^/#   /' "$T_TMP/two.out"

	# --- a server that stops answering: the timeouts are in the rows ----------------
	kill -STOP "$SRV_PID"
	tl=$T_TMP/stall.csv
	lg --connections 4 --pipeline 2 --duration 1 --timeout 0.4 --interval 0.5 --timeline "$tl" \
		--no-progress --json >"$T_TMP/stall.json" 2>/dev/null
	kill -CONT "$SRV_PID"
	check_timeline "stopped server: timeouts add up to the run's" "$tl" "$T_TMP/stall.json" 0 2 \
		timeouts=timeouts connect_errors=connect_errors read_errors=read_errors
	to=$(python3 -c 'import csv, sys; print(sum(int(r["timeouts"]) for r in csv.DictReader(open(sys.argv[1]))))' "$tl")
	[ "$to" -ge 8 ] && t_ok "stopped server: timeouts in the timeline ($to)" ||
		t_not_ok "stopped server: timeouts in the timeline" "$to"
	srv_stop || t_not_ok "server stopped cleanly" "$SRV_EXIT"
else
	t_not_ok "server start"
fi

# --- bad input: one line on stderr, exit 2 (option) or 1 (file) ----------------------
one_line_fail "--interval under 100 ms" 2 "$LOADGEN" --url "$URL" --interval 50ms
one_line_fail "--interval not a time" 2 "$LOADGEN" --url "$URL" --interval soon
echo "not,a,timeline" >"$T_TMP/other.csv"
if srv_start epoll; then
	one_line_fail "--timeline FILE with another header" 1 lg --duration 0.2 --timeline "$T_TMP/other.csv"
	srv_stop || t_not_ok "server stopped cleanly" "$SRV_EXIT"
fi

# The documented columns are the ones loadgen writes.
"$LOADGEN" --print-timeline-schema >"$T_TMP/schema.md"
if [ "$(grep -cFxf "$T_TMP/schema.md" docs/csv-schema.md)" = "$(wc -l <"$T_TMP/schema.md")" ]; then
	t_ok "docs/csv-schema.md lists the timeline's columns"
else
	t_not_ok "docs/csv-schema.md lists the timeline's columns" "regenerate: bin/loadgen --print-timeline-schema"
fi

t_finish
