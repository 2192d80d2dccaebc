# servers/common: page cache, HTTP core, the server contract. Linked by every server.
COMMON_SRCS := $(wildcard servers/common/*.c)
COMMON_LIB  := $(BUILD)/libcommon.a

$(COMMON_LIB): $(COMMON_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# The LD_PRELOAD shim of tests/integration/test_contract.sh: a worker's wait
# for events that fails on cue, to check every server's exit on a worker's
# fatal error. Never sanitized: it is preloaded ahead of everything.
FAIL_WAIT_SHIM := $(BUILD)/tests/fail_wait.so
EXTRA_TARGETS  += $(FAIL_WAIT_SHIM)

$(FAIL_WAIT_SHIM): tests/integration/fail_wait.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -shared -fPIC -o $@ $< -ldl

# The LD_PRELOAD shim of tests/integration/test_busy_poll.sh: a kernel
# without epoll's or io_uring's busy-poll registration (before 6.9).
NO_BUSY_POLL_SHIM := $(BUILD)/tests/no_busy_poll.so
EXTRA_TARGETS     += $(NO_BUSY_POLL_SHIM)

$(NO_BUSY_POLL_SHIM): tests/integration/no_busy_poll.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -shared -fPIC -o $@ $< -ldl
