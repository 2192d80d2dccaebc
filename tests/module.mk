# tests/: unit tests (cmocka) and fuzz targets for servers/common.
#
#   make unit-test                 builds and runs the unit tests
#   make fuzz [FUZZ_SECONDS=60]    builds the libFuzzer target with clang
#                                  (ASan + UBSan) and runs it that long

CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

COMMON_UNIT_TESTS := test_page_cache test_http_core
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
FUZZ_HTTP_CORE_SRCS := tests/fuzz/fuzz_http_core.c $(addprefix servers/common/, \
		page_cache.c http_clock.c http_core.c url_path.c mime.c)

$(FUZZ_DIR)/fuzz_http_core: $(FUZZ_HTTP_CORE_SRCS) $(wildcard servers/common/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $(FUZZ_HTTP_CORE_SRCS)

# Findings land in $(FUZZ_DIR) (crash-*, leak-*); the corpus grows in
# $(FUZZ_DIR)/corpus-http_core, seeded from tests/fuzz/seeds-http_core.
fuzz: $(FUZZ_DIR)/fuzz_http_core
	@mkdir -p $(FUZZ_DIR)/corpus-http_core
	ASAN_OPTIONS=quarantine_size_mb=64:$${ASAN_OPTIONS:-} \
	$(FUZZ_DIR)/fuzz_http_core -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 \
		-max_len=$(FUZZ_MAX_LEN) \
		-dict=tests/fuzz/http_core.dict -artifact_prefix=$(FUZZ_DIR)/ \
		-print_final_stats=1 \
		$(FUZZ_DIR)/corpus-http_core tests/fuzz/seeds-http_core
