# The userspace TCP/IPv4 stack of bin/httpd-xdp (sans-I/O, servers/xdp/netstack.h),
# included by servers/xdp/module.mk. Defines NETSTACK_OBJS (the stack, which
# knows nothing of HTTP or pages), XDP_HTTP_OBJS (HTTP on top of it,
# xdp_http.h), the stack's unit tests (tests/unit/test_netstack_*.c) and the
# micro-benchmark.

NETSTACK_SRCS := checksum.c packet.c netstack.c tcp_app.c tcp_cc.c tcp_input.c \
		 tcp_options.c tcp_output.c tcp_sack.c tcp_timers.c
NETSTACK_OBJS += $(NETSTACK_SRCS:%.c=$(BUILD)/servers/xdp/%.o)
XDP_HTTP_SRCS := xdp_http.c page_sums.c
XDP_HTTP_OBJS := $(XDP_HTTP_SRCS:%.c=$(BUILD)/servers/xdp/%.o)

# test_netstack_app drives TCP alone, under a fake application: it links
# neither the HTTP side nor the page cache (only the harness's scripted peer).
NETSTACK_TCP_TESTS := test_netstack_app
NETSTACK_TESTS := $(filter-out $(NETSTACK_TCP_TESTS), \
		  $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_netstack_*.c)))
NETSTACK_TEST_BINS := $(NETSTACK_TESTS:%=$(BUILD)/tests/%)
UNIT_TESTS += $(NETSTACK_TEST_BINS)
EXTRA_TARGETS += $(NETSTACK_TEST_BINS) $(BUILD)/tests/bench_netstack

# frame_pool (the UMEM budget) and the tx descriptors of a frame over the
# page mirror (tx_frame, umem_mirror) are sans-I/O too: test_netstack_budget
# and test_netstack_umem run them under the stack.
NETSTACK_TEST_PEER := $(BUILD)/tests/unit/netstack_test_util.o $(BUILD)/tests/unit/test_util.o
NETSTACK_TEST_UTIL := $(NETSTACK_TEST_PEER) $(BUILD)/tests/unit/netstack_test_http.o \
		      $(BUILD)/servers/xdp/frame_pool.o $(BUILD)/servers/xdp/tx_frame.o \
		      $(BUILD)/servers/xdp/umem_mirror.o

$(BUILD)/tests/unit/test_netstack_%.o $(BUILD)/tests/unit/netstack_test_util.o \
$(BUILD)/tests/unit/netstack_test_http.o $(BUILD)/tests/unit/bench_netstack.o: CFLAGS += -Iservers/xdp \
	$(shell pkg-config --cflags cmocka 2>/dev/null)

$(NETSTACK_TEST_BINS): $(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(NETSTACK_TEST_UTIL) \
		$(XDP_HTTP_OBJS) $(NETSTACK_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka) $(LDLIBS)

# Not a test (it measures, asserts nothing): run it by hand, see its header.
$(BUILD)/tests/bench_netstack: $(BUILD)/tests/unit/bench_netstack.o $(NETSTACK_TEST_UTIL) \
		$(XDP_HTTP_OBJS) $(NETSTACK_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka) $(LDLIBS)

NETSTACK_TCP_TEST_BINS := $(NETSTACK_TCP_TESTS:%=$(BUILD)/tests/%)
UNIT_TESTS += $(NETSTACK_TCP_TEST_BINS)
EXTRA_TARGETS += $(NETSTACK_TCP_TEST_BINS)

$(NETSTACK_TCP_TEST_BINS): $(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(NETSTACK_TEST_PEER) \
		$(NETSTACK_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka) $(LDLIBS)
