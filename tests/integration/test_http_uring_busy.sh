#!/usr/bin/env bash
# The shared HTTP suite (http_suite.sh) against bin/httpd-uring --busy-poll 50,
# in a lab with GRO on at both ends (a NAPI context on veth to poll).
export TOPO_GRO=on
exec "$(dirname "$0")/http_suite.sh" uring --busy-poll 50 "$@"
