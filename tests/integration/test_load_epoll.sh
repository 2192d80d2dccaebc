#!/usr/bin/env bash
# load_suite.sh against httpd-epoll: the reference the other engines are held to.
export SUITE_MTU=${SUITE_MTU:-1500}
exec "$(dirname "$0")/load_suite.sh" epoll "$@"
