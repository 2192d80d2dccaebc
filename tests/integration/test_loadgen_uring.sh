#!/usr/bin/env bash
# test_loadgen.sh with loadgen --engine uring: the same counts (requests =
# the server's replies, close mode one connection per request, zero
# failures), verify, open loop, stall, CSV and bad input. Skips (77) on a
# kernel without multishot receive (before 6.0) or with io_uring disabled.
dir=$(dirname "$0")
major=$(uname -r | cut -d. -f1)
if [ "$major" -lt 6 ]; then
	echo "skip: Linux $(uname -r) has no multishot receive (6.0+ needed for --engine uring)"
	exit 77
fi
if [ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)" != 0 ]; then
	echo "skip: io_uring is disabled (kernel.io_uring_disabled)"
	exit 77
fi
LOADGEN_ENGINE=uring exec "$dir/test_loadgen.sh" "$@"
