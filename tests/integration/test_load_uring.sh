#!/usr/bin/env bash
# load_suite.sh against httpd-uring: 1000 connections, the corpus, close and
# keep-alive, every body verified, no failed request. --max-conns 10000
# (after the suite's 20000): its registered file table must fit under the
# open-file limit, 20000 on some CI hosts.
export SUITE_MTU=${SUITE_MTU:-1500}
exec "$(dirname "$0")/load_suite.sh" uring --max-conns 10000 "$@"
