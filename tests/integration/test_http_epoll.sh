#!/usr/bin/env bash
# The shared HTTP suite (http_suite.sh) against bin/httpd-epoll. Skips (77)
# until the binary is built.
exec "$(dirname "$0")/http_suite.sh" epoll "$@"
