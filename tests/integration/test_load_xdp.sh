#!/usr/bin/env bash
# The reproduced experiment's load (load_suite.sh: 1000 connections, the
# corpus, close and keep-alive, every body verified) against httpd-xdp at
# MTU 1500. The client sends full checksums (the stack verifies them) and
# keeps a flow on its queue (txrehash off), as in scripts/run-point.sh.
export TOPO_CLIENT_TX_CSUM=off TOPO_CLIENT_TXREHASH=0
export SUITE_MTU=${SUITE_MTU:-1500}
exec "$(dirname "$0")/load_suite.sh" xdp --ifname veth-srv "$@"
