#!/bin/sh
# Stand-in for ssh in the multi-host tests (linked as "ssh" on their PATH):
# "ssh [-o opt]... HOST COMMAND" runs COMMAND in network namespace HOST.
while [ $# -gt 0 ]; do
	case $1 in
	-o|-p|-i|-l) shift 2 ;;
	-*) shift ;;
	*) break ;;
	esac
done
host=$1
shift
exec ip netns exec "$host" sh -c "$*"
