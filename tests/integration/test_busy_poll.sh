#!/usr/bin/env bash
# --busy-poll on httpd-epoll and httpd-uring: a server that busy-polls says
# so in its ready line (busy_poll_us) and serves every page byte for byte
# under loadgen --verify; a kernel without the feature (no_busy_poll.so
# makes this one look like Linux before 6.9) gets one line on stderr and
# exit 1, never a silent fallback; a bad value gets exit 2. The lab turns
# GRO on at both ends so that veth has a NAPI context to poll.
# The shared HTTP suite runs with --busy-poll too: test_http_*_busy.sh.
. "$(dirname "$0")/lib.sh"
t_need_root
[ -x bin/loadgen ] || t_skip "bin/loadgen not built (run 'make')"
shim=""
for f in build/release/tests/no_busy_poll.so build/asan/tests/no_busy_poll.so; do
	[ -f "$f" ] && shim=$T_ROOT/$f && break
done
export TOPO_GRO=on
lab_up
pages=$SRV_CORPUS
SRV_CORPUS=$pages/corpus

for name in epoll uring; do
	t_need_server "$name"
	if srv_start "$name" --busy-poll 50; then
		t_check "$name --busy-poll 50: busy_poll_us=50 in the ready line" [ "$(ready_of busy_poll_us)" = 50 ]
		ip netns exec "$LAB-cli" bin/loadgen --url "http://$SRV_ADDR:$SRV_PORT/" \
			--paths "$pages/corpus.uris" --verify "$pages/corpus" --connections 20 \
			--mode keepalive --duration 2 --timeout 10 --no-progress --json >"$T_TMP/$name.json" 2>"$T_TMP/$name.lg"
		v=$(jget "$T_TMP/$name.json" connect_errors read_errors timeouts non_2xx verify_mismatches | tr '\n' ' ')
		t_check "$name --busy-poll 50: the corpus served and verified, no failure ($v)" [ "$v" = "0 0 0 0 0 " ]
		srv_stop
		t_check "$name --busy-poll 50: stops with exit 0 and its stats" [ "$SRV_EXIT" = 0 ]
	else
		t_not_ok "$name --busy-poll 50: start" "$(srv_stderr_tail)"
	fi
	out=$T_TMP/$name-bad.out err=$T_TMP/$name-bad.err
	ip netns exec "$LAB-srv" "bin/httpd-$name" --addr "$SRV_ADDR" --port "$SRV_PORT" \
		--corpus "$pages/tiny" --busy-poll 0 >"$out" 2>"$err"
	t_check "$name --busy-poll 0: exit 2, one line" \
		bash -c '[ "$1" = 2 ] && [ "$(wc -l <"$2")" = 1 ] && ! grep -q ^ready "$3"' sh "$?" "$err" "$out"
	if [ -n "$shim" ]; then
		out=$T_TMP/$name-old.out err=$T_TMP/$name-old.err
		ip netns exec "$LAB-srv" env LD_PRELOAD="$shim" ASAN_OPTIONS=verify_asan_link_order=0 \
			timeout 20 "bin/httpd-$name" --addr "$SRV_ADDR" --port "$SRV_PORT" \
			--corpus "$pages/tiny" --max-conns 1000 --busy-poll 50 >"$out" 2>"$err"
		rc=$?
		t_check "$name --busy-poll on a kernel without it: exit 1, one line naming Linux 6.9, no ready line" \
			bash -c '[ "$1" = 1 ] && [ "$(grep -vc ": note:" "$2")" = 1 ] && grep -q "Linux 6.9" "$2" &&
				! grep -q ^ready "$3"' sh "$rc" "$err" "$out"
	else
		t_not_ok "the no-busy-poll shim" "build/*/tests/no_busy_poll.so not built (run 'make')"
	fi
done
t_finish
