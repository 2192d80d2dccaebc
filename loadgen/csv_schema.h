/* The CSV row of one run: THE list of columns, in order.
 *
 * Everything that writes or documents the row derives from this one list:
 * the --csv header and row, the --json keys, `loadgen --print-csv-schema`
 * (which generated docs/csv-schema.md). The sweep scripts and the plots read
 * columns by these names. Add columns at the end only; never rename.
 *
 * X(name, who, type, unit, meaning)
 *   who  LABEL: the caller may set it with --label name=VALUE (it overrides
 *               any default loadgen fills in); empty when nobody knows it.
 *        OWN:   loadgen's own measurement or setting; a label cannot set it.
 *   type TEXT or NUM (NUM: JSON number, or null when empty). */
#ifndef LG_CSV_SCHEMA_H
#define LG_CSV_SCHEMA_H

#define CSV_COLUMNS(X) \
	X(timestamp, LABEL, TEXT, "UTC", "start of the measured window, ISO 8601 (default: loadgen's clock)") \
	X(commit, LABEL, TEXT, "", "git commit of the suite") \
	X(host, LABEL, TEXT, "", "host name (default: loadgen's uname)") \
	X(kernel, LABEL, TEXT, "", "kernel release (default: loadgen's uname)") \
	X(cpu_model, LABEL, TEXT, "", "CPU model (default: /proc/cpuinfo of loadgen's host)") \
	X(server, LABEL, TEXT, "", "server name, e.g. httpd-epoll, nginx") \
	X(workers, LABEL, NUM, "", "server worker threads/processes") \
	X(server_cpus, LABEL, TEXT, "", "server CPU list, e.g. 0 or 0-1 (default: --server-cpus)") \
	X(loadgen_threads, OWN, NUM, "", "--threads") \
	X(loadgen_cpus, OWN, TEXT, "", "--cpus (empty: not pinned)") \
	X(mtu, LABEL, NUM, "bytes", "link MTU") \
	X(queues, LABEL, NUM, "", "veth/NIC queues") \
	X(gro, LABEL, TEXT, "", "GRO setting (on/off/default)") \
	X(rps, LABEL, TEXT, "", "RPS/XPS setting (0/1)") \
	X(mode, OWN, TEXT, "", "keepalive or close") \
	X(connections, OWN, NUM, "", "--connections (concurrency)") \
	X(pipeline, OWN, NUM, "", "--pipeline: requests in flight per connection") \
	X(requests_per_conn, OWN, NUM, "", "--requests-per-conn (empty: no cap)") \
	X(target_rate, OWN, NUM, "req/s", "--rate (empty: closed loop)") \
	X(page_set, LABEL, TEXT, "", "page set, e.g. tiny, 10k, corpus") \
	X(duration_s, OWN, NUM, "s", "measured window, from its start to the last response (includes the end drain)") \
	X(warmup_s, OWN, NUM, "s", "--warmup (excluded from every figure)") \
	X(requests, OWN, NUM, "", "complete responses in the window (any status)") \
	X(bytes, OWN, NUM, "bytes", "response bytes received: headers + bodies + chunk framing") \
	X(req_per_s, OWN, NUM, "req/s", "requests / duration_s") \
	X(gbit_per_s, OWN, NUM, "Gbit/s", "bytes * 8 / duration_s / 1e9") \
	X(lat_p50_us, OWN, NUM, "us", "latency median (closed loop: from the send; open loop: from the intended send time)") \
	X(lat_p90_us, OWN, NUM, "us", "latency 90th percentile") \
	X(lat_p99_us, OWN, NUM, "us", "latency 99th percentile") \
	X(lat_p999_us, OWN, NUM, "us", "latency 99.9th percentile") \
	X(lat_p9999_us, OWN, NUM, "us", "latency 99.99th percentile") \
	X(lat_max_us, OWN, NUM, "us", "latency maximum") \
	X(lat_mean_us, OWN, NUM, "us", "latency mean") \
	X(connects, OWN, NUM, "", "connections established in the window") \
	X(connect_p50_us, OWN, NUM, "us", "connection setup time (connect() to writable) median") \
	X(connect_p99_us, OWN, NUM, "us", "connection setup time 99th percentile") \
	X(connect_errors, OWN, NUM, "", "failed connection attempts (refused, unreachable, timed out, no port)") \
	X(read_errors, OWN, NUM, "", "requests lost to a reset, an early close, a malformed response or a send error") \
	X(timeouts, OWN, NUM, "", "requests not answered within --timeout, in flight at the end, or (open loop) due but never sent") \
	X(non_2xx, OWN, NUM, "", "responses with a status outside 200-299") \
	X(verify_mismatches, OWN, NUM, "", "2xx bodies whose length or hash differ from --verify DIR (empty: not verified)") \
	X(server_user_pct, LABEL, NUM, "%", "server CPUs: user+nice (default: sampled from /proc/stat with --server-cpus)") \
	X(server_sys_pct, LABEL, NUM, "%", "server CPUs: system+irq") \
	X(server_softirq_pct, LABEL, NUM, "%", "server CPUs: softirq") \
	X(server_idle_pct, LABEL, NUM, "%", "server CPUs: idle+iowait") \
	X(server_cpu_us_per_req, LABEL, NUM, "us", "server CPUs' work (user+sys+softirq) per request") \
	X(server_proc_cpu_us_per_req, LABEL, NUM, "us", "server process utime+stime per request (default: with --server-pid)") \
	X(client_user_pct, OWN, NUM, "%", "client CPUs (--cpus): user+nice") \
	X(client_sys_pct, OWN, NUM, "%", "client CPUs: system+irq") \
	X(client_softirq_pct, OWN, NUM, "%", "client CPUs: softirq") \
	X(client_idle_pct, OWN, NUM, "%", "client CPUs: idle+iowait") \
	X(client_busy_pct, OWN, NUM, "%", "client CPUs busy (100 - idle; steal counts as busy); without --cpus: loadgen_cpu_pct") \
	X(loadgen_cpu_pct, OWN, NUM, "%", "loadgen threads' user+sys time / (duration_s * CPUs they ran on)") \
	X(loadgen_cpu_us_per_req, OWN, NUM, "us", "loadgen threads' user+sys time per request") \
	X(machine_cpu_us_per_req, OWN, NUM, "us", "server + client CPUs' work per request (needs --cpus and --server-cpus)") \
	X(client_bound, OWN, NUM, "0/1", "1: loadgen's CPUs or threads were over 90% busy, or (open loop) its p99 send lag was above max_send_lag_us: the run measured the client") \
	X(repeat, LABEL, NUM, "", "repeat number of this point in a sweep") \
	X(labels, OWN, TEXT, "", "other --label pairs, as key=value;key=value") \
	X(status, LABEL, TEXT, "", "ok; errors: failed_requests over 0.1% of requests; stalled: a closed loop with more than one request in flight in which both sides' CPUs were under 75% busy (waiting, not working); or why the sweep's run failed (server_died, ...)") \
	X(failed_requests, OWN, NUM, "", "connect_errors + read_errors + timeouts + non_2xx + verify_mismatches") \
	X(bound, LABEL, TEXT, "", "whose CPUs were over 90% busy: client (also when both were, or when client_bound is 1 for its send lag), server, or neither; empty when the server's CPUs are unknown and the client's were not saturated") \
	X(close_policy, OWN, TEXT, "", "close mode: server (requests carry Connection: close, the server closes first, as ab and h2load do) or linger0 (loadgen resets); empty in keep-alive") \
	X(timewait_client, LABEL, NUM, "", "TCP sockets in TIME_WAIT on the client side when the run ended") \
	X(timewait_server, LABEL, NUM, "", "TCP sockets in TIME_WAIT on the server side when the run ended (httpd-xdp keeps its own: empty)") \
	X(napi, LABEL, TEXT, "", "where the lab runs each side's receive: inline (on the sending side's core, veth's default) or threaded (NAPI kthreads on the receiving side's cores)") \
	X(send_lag_p50_us, OWN, NUM, "us", "open loop: send lag median, from a request's due time to when loadgen handed it to a connection (its send; close mode: its connect) (empty: closed loop)") \
	X(send_lag_p99_us, OWN, NUM, "us", "open loop: send lag 99th percentile, of the requests sent") \
	X(send_lag_max_us, OWN, NUM, "us", "open loop: send lag maximum") \
	X(never_sent, OWN, NUM, "", "open loop: requests due in the window that never left (given up after --timeout waiting for a connection, still waiting at the end, or no socket); each is also a timeout or a connect error") \
	X(max_send_lag_us, OWN, NUM, "us", "open loop: --max-send-lag, the p99 send lag (never-sent requests counting as the latest) above which client_bound is 1") \
	X(lat_uncorrected_p50_us, OWN, NUM, "us", "open loop: latency median from the actual send (first byte written), as a client blind to coordinated omission reports it (compare lat_p50_us)") \
	X(lat_uncorrected_p99_us, OWN, NUM, "us", "open loop: latency from the actual send, 99th percentile") \
	X(lat_uncorrected_p999_us, OWN, NUM, "us", "open loop: latency from the actual send, 99.9th percentile") \
	X(slo, OWN, TEXT, "", "--slo, e.g. p99=2ms: the latency target this row is judged against (empty: none)") \
	X(slo_latency_us, OWN, NUM, "us", "--slo: this run's latency at the SLO's percentile (from the intended send time)") \
	X(slo_verdict, OWN, TEXT, "", "--slo: pass, over_slo, client_bound (client_bound is 1) or failed_requests (any failed request, or none measured); only pass is a rate where the SLO held") \
	X(search_step, OWN, NUM, "", "--search: the step's number (1..); on the knee row, the step it repeats") \
	X(search_phase, OWN, TEXT, "", "--search: exp (growing, or shrinking from a failing start), bisect, repeat (the last pass and the first fail again), or knee: the search's result row, a copy of the knee rate's last window") \
	X(slo_capacity_req_s, OWN, NUM, "req/s", "--search, knee row only: the highest rate whose every window passed, below the lowest that failed (0: none passed)")

enum csv_column {
#define CSV_ENUM(name, who, type, unit, meaning) COL_##name,
	CSV_COLUMNS(CSV_ENUM)
#undef CSV_ENUM
	COL_COUNT
};

enum csv_who { CSV_LABEL, CSV_OWN };
enum csv_type { CSV_TEXT, CSV_NUM };

struct csv_column_desc {
	const char *name;
	enum csv_who who;
	enum csv_type type;
	const char *unit;
	const char *meaning;
};

static const struct csv_column_desc csv_columns[COL_COUNT] = {
#define CSV_DESC(name, who, type, unit, meaning) { #name, CSV_##who, CSV_##type, unit, meaning },
	CSV_COLUMNS(CSV_DESC)
#undef CSV_DESC
};

#endif
