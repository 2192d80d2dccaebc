# servers/common: page cache, HTTP core, the server contract. Linked by every server.
COMMON_SRCS := $(wildcard servers/common/*.c)
COMMON_LIB  := $(BUILD)/libcommon.a

$(COMMON_LIB): $(COMMON_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^
