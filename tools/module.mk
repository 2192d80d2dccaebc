# tools/: bin/gencorpus writes the page sets (`make corpus`).
CORPUS_LIB_SRCS := tools/corpus_sizes.c tools/corpus_html.c
CORPUS_LIB_OBJS := $(CORPUS_LIB_SRCS:%.c=$(BUILD)/%.o)

BINARIES += $(BIN)/gencorpus
$(BIN)/gencorpus: $(BUILD)/tools/gencorpus.o $(CORPUS_LIB_OBJS) | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit test of the size distribution and the page text (cmocka).
UNIT_TESTS += $(BUILD)/tests/test_gencorpus
EXTRA_TARGETS += $(BUILD)/tests/test_gencorpus
$(BUILD)/tests/unit/test_gencorpus.o: CFLAGS += -Itools $(shell pkg-config --cflags cmocka)
$(BUILD)/tests/test_gencorpus: $(BUILD)/tests/unit/test_gencorpus.o $(CORPUS_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs cmocka) $(LDLIBS)

# The integration suite's raw-socket client (pipelining, bad input, idle
# connections): built with everything, used by tests/integration/lib.sh.
EXTRA_TARGETS += $(BUILD)/tests/httpprobe
$(BUILD)/tests/httpprobe: $(BUILD)/tests/integration/httpprobe.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The SLO search's scripted server (fast below a known rate, slow above it),
# used by tests/integration/test_loadgen_search.sh.
EXTRA_TARGETS += $(BUILD)/tests/slo_server
$(BUILD)/tests/slo_server: $(BUILD)/tests/integration/slo_server.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
