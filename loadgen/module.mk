# loadgen: bin/loadgen and its unit tests.
LOADGEN_LIB_SRCS := loadgen/histogram.c loadgen/http_response.c loadgen/schedule.c \
                    loadgen/paths.c loadgen/verify.c loadgen/cpu_usage.c loadgen/options.c \
                    loadgen/report.c loadgen/worker.c loadgen/send_lag.c \
                    loadgen/timeline.c loadgen/timeline_report.c \
                    loadgen/slo.c loadgen/search.c \
                    loadgen/share.c loadgen/hist_io.c loadgen/merge.c \
                    loadgen/engine_epoll.c loadgen/engine_uring.c
LOADGEN_LIB := $(BUILD)/libloadgen.a

# Shared with the servers: percent-decoding (--verify maps a URI to its
# file as they do) and CPU lists.
LOADGEN_COMMON_OBJS := $(BUILD)/servers/common/url_path.o $(BUILD)/servers/common/cpu_list.o

$(LOADGEN_LIB): $(LOADGEN_LIB_SRCS:%.c=$(BUILD)/%.o) $(LOADGEN_COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# --engine uring (liburing via pkg-config, as servers/uring).
$(BUILD)/loadgen/engine_uring.o: CFLAGS += $(shell pkg-config --cflags liburing)

$(BIN)/loadgen: $(BUILD)/loadgen/main.o $(LOADGEN_LIB) | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs liburing) -lm

BINARIES += $(BIN)/loadgen

# Unit tests (cmocka): tests/unit/test_loadgen_*.c and test_histogram.c.
LOADGEN_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,\
                   $(wildcard tests/unit/test_loadgen_*.c tests/unit/test_histogram.c))

$(LOADGEN_TESTS): $(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LOADGEN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs cmocka) $(LDLIBS) -lm

$(BUILD)/tests/unit/test_loadgen_%.o $(BUILD)/tests/unit/test_histogram.o: CFLAGS += -Iloadgen $(shell pkg-config --cflags cmocka)

UNIT_TESTS += $(LOADGEN_TESTS)
EXTRA_TARGETS += $(LOADGEN_TESTS)
