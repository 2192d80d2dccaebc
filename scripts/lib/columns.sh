# Names shared by plots.sh and summary.sh (sourced).
# Metric columns of the CSV (docs/csv-schema.md, loadgen/csv_schema.h).
COL_RPS="req_per_s"
COL_GBPS="gbit_per_s"
COL_P99="lat_p99_us"
# Open loop: the same p99 from the actual send (blind to coordinated omission).
COL_P99_UNCORRECTED="lat_uncorrected_p99_us"

display_name() {
	case ${1#httpd-} in
	epoll) echo epoll ;;
	tpc) echo thread-per-conn ;;
	uring) echo io_uring ;;
	xdp) echo AF_XDP ;;
	epoll-busy) echo epoll/busy-poll ;; # one word: plots and the summary split on spaces
	uring-busy) echo io_uring/busy-poll ;;
	xdp-busy) echo AF_XDP/busy-poll ;;
	*) echo "$1" ;;
	esac
}

mode_name() {
	case $1 in
	keepalive) echo keep-alive ;;
	close) echo "close (new connection per request)" ;;
	*) echo "$1" ;;
	esac
}
