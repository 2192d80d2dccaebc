#!/usr/bin/env bash
# The shared HTTP suite against bin/httpd-xdp at MTU 9000 (jumbo frames:
# multi-buffer or large UMEM frames, and an MSS that follows the MTU).
export SUITE_MTU=9000
exec "$(dirname "$0")/test_http_xdp.sh" "$@"
