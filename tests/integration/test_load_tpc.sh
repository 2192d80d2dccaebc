#!/usr/bin/env bash
# load_suite.sh against httpd-tpc: 1000 connections, the corpus, close and
# keep-alive, every body verified, no failed request.
export SUITE_MTU=${SUITE_MTU:-1500}
exec "$(dirname "$0")/load_suite.sh" tpc "$@"
