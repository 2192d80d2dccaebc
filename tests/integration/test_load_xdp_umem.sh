#!/usr/bin/env bash
# The reproduced experiment's load (load_suite.sh: 1000 connections, the
# corpus, close and keep-alive, every body verified) against httpd-xdp with
# page bodies sent from the UMEM (--tx-body umem: a header frame plus
# multi-buffer descriptors pointing at the page's chunks). Copy mode's default
# is --tx-body copy, which test_load_xdp.sh covers; zero-copy's is umem.
export TOPO_CLIENT_TX_CSUM=off TOPO_CLIENT_TXREHASH=0
export SUITE_MTU=${SUITE_MTU:-1500}
exec "$(dirname "$0")/load_suite.sh" xdp --ifname veth-srv --tx-body umem "$@"
