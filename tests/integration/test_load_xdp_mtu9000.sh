#!/usr/bin/env bash
# load_suite.sh against httpd-xdp at MTU 9000 (multi-buffer frames).
export SUITE_MTU=9000
exec "$(dirname "$0")/test_load_xdp.sh" "$@"
