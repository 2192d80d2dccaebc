#!/usr/bin/env bash
# Runs the test programs and ends with one line CI reads: "N passed, N failed, N skipped".
#
#   tests/run.sh [unit|integration|all]
#
# Unit tests are the executables the Makefile lists in $UNIT_TESTS; integration
# tests are tests/integration/test_*.sh. Each program is one test: exit 0
# passes, 77 skips (a missing feature, said on its last line), anything else
# fails. Output goes to build/test-logs/, and is shown when a test fails.
set -u
cd "$(dirname "$0")/.."
what=${1:-all}
logs=build/test-logs
mkdir -p "$logs"
passed=0 failed=0 skipped=0 failures=()

run_one() { # name, command...
	local name=$1; shift
	local log="$logs/$(echo "$name" | tr '/ ' '__').log"
	local start=$SECONDS
	"$@" >"$log" 2>&1 </dev/null
	local rc=$?
	local took=$((SECONDS - start))
	case $rc in
	0)  passed=$((passed + 1)); printf 'PASS %-50s %3ds\n' "$name" "$took" ;;
	77) skipped=$((skipped + 1)); printf 'SKIP %-50s %s\n' "$name" "$(tail -n 1 "$log")" ;;
	*)  failed=$((failed + 1)); failures+=("$name")
	    printf 'FAIL %-50s %3ds (exit %d), last lines of %s:\n' "$name" "$took" "$rc" "$log"
	    tail -n 25 "$log" | sed 's/^/    /' ;;
	esac
}

if [ "$what" = unit ] || [ "$what" = all ]; then
	for t in ${UNIT_TESTS:-}; do
		run_one "unit/$(basename "$t")" "$t"
	done
fi
if [ "$what" = integration ] || [ "$what" = all ]; then
	for t in tests/integration/test_*.sh; do
		[ -e "$t" ] || continue
		run_one "integration/$(basename "$t" .sh)" "$t"
	done
fi

[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
