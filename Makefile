# bypassbench: make deps | make | make test | make corpus | make sweep | make plots | make summary
#
# Each directory contributes a module.mk that appends to BINARIES (bin/*),
# UNIT_TESTS (test executables) and EXTRA_TARGETS; objects land in build/.

CC      ?= cc
CLANG   ?= clang
PKGS    := liburing libbpf libxdp
CFLAGS  := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iservers/common
LDFLAGS :=
LDLIBS  := -lpthread

ifeq ($(SANITIZE),1)
FLAVOR  := asan
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
FLAVOR  := release
endif

BUILD   := build/$(FLAVOR)
# Sanitized binaries go to bin/asan/ so they never replace the release ones
# that the tests and sweeps run.
BIN     := bin$(if $(filter asan,$(FLAVOR)),/asan)
BINARIES :=
UNIT_TESTS :=
EXTRA_TARGETS :=

.PHONY: all deps test unit-test integration-test corpus sweep plots summary profile fuzz clean format
all:

# servers/common first: everything links libcommon.a
include servers/common/module.mk
include $(sort $(filter-out servers/common/module.mk,$(wildcard servers/*/module.mk))) \
        $(wildcard loadgen/module.mk tools/module.mk tests/module.mk scripts/module.mk)

all: $(BINARIES) $(EXTRA_TARGETS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BIN):
	@mkdir -p $@

-include $(shell find build -name '*.d' 2>/dev/null)

deps:
	scripts/install-deps.sh

# Page sets: generated, deterministic, never in git.
CORPUS_DIR := build/pages
corpus: $(BIN)/gencorpus
	$(BIN)/gencorpus --out $(CORPUS_DIR)

test: all corpus
	UNIT_TESTS="$(UNIT_TESTS)" tests/run.sh

unit-test: all
	UNIT_TESTS="$(UNIT_TESTS)" tests/run.sh unit

integration-test: all corpus
	tests/run.sh integration

clean:
	rm -rf build bin

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
