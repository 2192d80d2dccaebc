# bin/httpd-uring: one io_uring per worker (liburing via pkg-config).
URING_SRCS := $(wildcard servers/uring/*.c)
BINARIES += $(BIN)/httpd-uring

$(BUILD)/servers/uring/%.o: CFLAGS += $(shell pkg-config --cflags liburing)

$(BIN)/httpd-uring: $(URING_SRCS:%.c=$(BUILD)/%.o) $(COMMON_LIB) | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs liburing)
