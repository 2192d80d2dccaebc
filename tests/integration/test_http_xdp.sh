#!/usr/bin/env bash
# The shared HTTP suite (http_suite.sh) against bin/httpd-xdp at MTU 1500.
# The userspace TCP stack verifies checksums, so the client side sends full
# ones (tx offload off, scripts/lib/topology.sh). Kernel socket state (ss,
# SO_REUSEPORT port probing) means nothing for a stack that owns the port
# through XDP, so those cases are skipped.
export TOPO_CLIENT_TX_CSUM=off
export SUITE_MTU=${SUITE_MTU:-1500}
export SUITE_SKIP="${SUITE_SKIP:-} accept_check port_in_use"
exec "$(dirname "$0")/http_suite.sh" xdp --ifname veth-srv "$@"
