#!/usr/bin/env bash
# --steer cpu on httpd-epoll and httpd-uring with two workers on CPUs 0 and
# 1: every connection goes to the worker of the CPU that received its SYN.
# On the inline veth lab that is the client's CPU (the receive runs on the
# sender's core), so a client pinned to CPU 1 for 6 connections and to CPU 0
# for 4 must give accepted_per_worker 4/6. --steer hash gets no such check
# (the kernel's hash of the addresses), only that it serves.
. "$(dirname "$0")/lib.sh"
t_need_root
t_need_tools curl taskset
[ "$(nproc)" -ge 2 ] || t_skip "needs 2 CPUs"
lab_up
SRV_CORPUS=$SRV_CORPUS/tiny

get_pinned() { # cpu count
	local i
	for ((i = 0; i < $2; i++)); do
		ip netns exec "$LAB-cli" taskset -c "$1" curl -s -o /dev/null --max-time 5 \
			"http://$SRV_ADDR:$SRV_PORT/" || return 1
	done
}

for name in epoll uring; do
	t_need_server "$name"
	if srv_start "$name" --workers 2 --cpus 0,1 --steer cpu --max-conns 1000; then
		t_check "$name --steer cpu: steer=cpu in the ready line" [ "$(ready_of steer)" = cpu ]
		get_pinned 1 6 && get_pinned 0 4
		t_check "$name --steer cpu: 10 requests served" [ $? = 0 ]
		srv_stop
		t_check "$name --steer cpu: each connection on the worker of its SYN's CPU (4/6)" \
			[ "$(stat_of "${name}_accepted_per_worker")" = 4/6 ]
	else
		t_not_ok "$name --steer cpu: start" "$(srv_stderr_tail)"
	fi
	if srv_start "$name" --workers 2 --cpus 0,1 --steer hash --max-conns 1000; then
		get_pinned 1 4
		t_check "$name --steer hash: serves" [ $? = 0 ]
		srv_stop
		t_check "$name --steer hash: 4 accepted in all" [ "$(stat_of accepted)" = 4 ]
	else
		t_not_ok "$name --steer hash: start" "$(srv_stderr_tail)"
	fi
done
t_finish
