# bin/httpd-epoll: SO_REUSEPORT listener + epoll per worker.
EPOLL_SRCS := $(wildcard servers/epoll/*.c)
BINARIES += $(BIN)/httpd-epoll

$(BIN)/httpd-epoll: $(EPOLL_SRCS:%.c=$(BUILD)/%.o) $(COMMON_LIB) | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
