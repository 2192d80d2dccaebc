# tests/: unit tests (cmocka) and the libFuzzer targets.
#
#   make unit-test                          builds and runs the unit tests
#   make fuzz-http-core [FUZZ_SECONDS=60]   the HTTP core's target (servers/common)
#   make fuzz-netstack [FUZZ_SECONDS=60]    the TCP/IPv4 stack's target (servers/xdp):
#                                           scripts of frames, timers, tx-full
#                                           and loss against one netstack
#   make fuzz [FUZZ_SECONDS=60]             both, one after the other, each that long
#
# Each target is built with clang (ASan + UBSan + libFuzzer) from the sources
# it exercises, runs one process (no -jobs: the test machines are small and
# shared) and keeps its corpus in build/fuzz/corpus-<name>, seeded from
# tests/fuzz/seeds-<name>. Findings land in build/fuzz/ (crash-*, leak-*,
# timeout-*); replay one with build/fuzz/fuzz_<name> FILE.

CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

COMMON_UNIT_TESTS := test_page_cache test_http_core test_http_conn
UNIT_TESTS += $(COMMON_UNIT_TESTS:%=$(BUILD)/tests/%)
EXTRA_TARGETS += $(COMMON_UNIT_TESTS:%=$(BUILD)/tests/%)

$(BUILD)/tests/unit/%.o: CFLAGS += $(CMOCKA_CFLAGS)

$(COMMON_UNIT_TESTS:%=$(BUILD)/tests/%): $(BUILD)/tests/%: \
		$(BUILD)/tests/unit/%.o $(BUILD)/tests/unit/test_util.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS)

.PHONY: print-unit-tests
print-unit-tests:
	@echo $(UNIT_TESTS)

# The fuzz target links only the sans-I/O sources it exercises, built
# with clang's libFuzzer; it never goes through $(BUILD)'s gcc objects.
FUZZ_SECONDS ?= 60
# Past HTTP_MAX_HEADER_BYTES (8192), so the 414/431/413 paths are reached.
FUZZ_MAX_LEN ?= 10000
FUZZ_DIR     := build/fuzz
FUZZ_CFLAGS  := -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iservers/common \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer
FUZZ_COMMON_SRCS := $(addprefix servers/common/, page_cache.c http_clock.c http_core.c \
		url_path.c mime.c)
FUZZ_HTTP_CORE_SRCS := tests/fuzz/fuzz_http_core.c $(FUZZ_COMMON_SRCS)

$(FUZZ_DIR)/fuzz_http_core: $(FUZZ_HTTP_CORE_SRCS) $(wildcard servers/common/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $(FUZZ_HTTP_CORE_SRCS)

# The stack's sources come from servers/xdp/netstack.mk (NETSTACK_SRCS), so a
# file added to the stack is fuzzed without touching this.
FUZZ_NETSTACK_SRCS := tests/fuzz/fuzz_netstack.c \
		$(addprefix servers/xdp/, $(NETSTACK_SRCS) $(XDP_HTTP_SRCS)) $(FUZZ_COMMON_SRCS) \
		$(addprefix servers/xdp/, tx_frame.c umem_mirror.c frame_pool.c)
# A script of a few hundred operations reaches far; longer inputs mostly
# repeat themselves and run slower.
FUZZ_NETSTACK_MAX_LEN ?= 4096

$(FUZZ_DIR)/fuzz_netstack: $(FUZZ_NETSTACK_SRCS) $(wildcard servers/common/*.h servers/xdp/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -Iservers/xdp -o $@ $(FUZZ_NETSTACK_SRCS)

.PHONY: fuzz-http-core fuzz-netstack
fuzz: fuzz-http-core fuzz-netstack

# $(call fuzz_run,NAME,QUARANTINE_MB,MAX_LEN): runs build/fuzz/fuzz_NAME for
# FUZZ_SECONDS on its corpus (grown in build/fuzz) and tests/fuzz/seeds-NAME.
define fuzz_run
	@mkdir -p $(FUZZ_DIR)/corpus-$(1)
	ASAN_OPTIONS=quarantine_size_mb=$(2):$${ASAN_OPTIONS:-} \
	$(FUZZ_DIR)/fuzz_$(1) -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 \
		-max_len=$(3) -dict=tests/fuzz/$(1).dict -artifact_prefix=$(FUZZ_DIR)/ \
		-print_final_stats=1 $(FUZZ_DIR)/corpus-$(1) tests/fuzz/seeds-$(1)
endef

fuzz-http-core: $(FUZZ_DIR)/fuzz_http_core
	$(call fuzz_run,http_core,64,$(FUZZ_MAX_LEN))

# A small quarantine: every frame is a fresh malloc, and with a big one
# each lands on a fresh page: page faults took ~15% of the time.
fuzz-netstack: $(FUZZ_DIR)/fuzz_netstack
	$(call fuzz_run,netstack,16,$(FUZZ_NETSTACK_MAX_LEN))
