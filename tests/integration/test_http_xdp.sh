#!/usr/bin/env bash
# The shared HTTP suite (http_suite.sh) against bin/httpd-xdp at MTU 1500.
# The userspace TCP stack verifies checksums, so the client side sends full
# ones (tx offload off, scripts/lib/topology.sh). The kernel has no socket
# for its connections, so the `ss` check of accepted connections is skipped;
# "port in use" stays: a second instance on the same queue must refuse and
# leave the first one serving.
export TOPO_CLIENT_TX_CSUM=off
export SUITE_MTU=${SUITE_MTU:-1500}
export SUITE_SKIP="${SUITE_SKIP:-} accept_check"
exec "$(dirname "$0")/http_suite.sh" xdp --ifname veth-srv "$@"
