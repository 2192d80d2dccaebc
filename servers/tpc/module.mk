# bin/httpd-tpc: one blocking OS thread per connection.
TPC_SRCS := $(wildcard servers/tpc/*.c)
BINARIES += $(BIN)/httpd-tpc

$(BIN)/httpd-tpc: $(TPC_SRCS:%.c=$(BUILD)/%.o) $(COMMON_LIB) | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
