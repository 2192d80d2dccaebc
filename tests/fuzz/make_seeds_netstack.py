#!/usr/bin/env python3
"""Writes the hand-made seed scripts of fuzz_netstack into seeds-netstack/.

The script format is described at the top of fuzz_netstack.c; this file
spells the seeds with names so that they can be read and changed. Run it
from anywhere: python3 tests/fuzz/make_seeds_netstack.py
"""
import os
import struct

# Ops (low nibble of the op byte; the high nibble is the argument).
ADVANCE, SEG, PUMP, RAW, MUTATE, REFUSE, LOSE, ABORT, DEADLINE, POLL = 0, 1, 4, 5, 6, 7, 8, 9, 10, 12
# Flag selectors (flag_table in fuzz_netstack.c).
F_ACK, F_PSH_ACK, F_SYN, F_FIN_ACK, F_RST, F_RST_ACK = 0, 1, 2, 3, 4, 5
# Window selectors.
W_65535, W_0, W_RAW, W_EDGE = 0, 1, 2, 7  # W_EDGE: k bytes past what was sent
# Option selector bits.
O_MSS, O_WS, O_SACKOK, O_TS, O_SACK, O_RAW = 1, 2, 4, 8, 16, 32
# Payload selectors: 1 + template index (see templates[] in fuzz_netstack.c).
P_NONE, P_GET_T, P_GET_B, P_GET_T_CLOSE, P_HEAD_B, P_GET_E, P_404, P_BAD, \
    P_GET_B_10, P_PIPE4, P_POST, P_B_THEN_T_CLOSE, P_PARTIAL, P_REST, P_HEAD_E, \
    P_GET_B_CLOSE = range(16)
P_SLICE, P_RAWDATA, P_FILL = 0x10, 0x20, 0x30
# Seq modes (low nibble) and ack modes (high nibble) of the modes byte.
S_NXT, S_SRV_ACK, S_AHEAD8 = 0, 1, 2
A_RCV, A_SRV_MAX, A_BEHIND8, A_LAST = 0, 1, 2, 4


def config(mtu_sel=0, max_conns=8, idle=False, cache=0, time_wait_sel=0, idle_sel=0):
    c0 = mtu_sel | ((max_conns - 1) << 2) | (0x20 if idle else 0) | (cache << 6)
    c1 = time_wait_sel | (idle_sel << 2)
    return bytes([c0, c1])


def seg(peer=0, flags=F_ACK, seq=S_NXT, ack=A_RCV, win=W_65535, opts=0, payload=P_NONE,
        params=b"", op=SEG):
    """params: the bytes the selectors read, in this order: seq, ack,
    window, options (MSS u16, WS u8, SACK...), payload."""
    return bytes([op | (peer << 4), flags, seq | (ack << 4), win, opts, payload]) + params


def syn(peer=0, linux=True, mss=0):
    if linux:  # MSS (0: the MTU's), WS 7, SACK-permitted, timestamps
        return seg(peer, F_SYN, opts=O_MSS | O_WS | O_SACKOK | O_TS,
                   params=struct.pack(">HB", mss, 7))
    return seg(peer, F_SYN)


def handshake(peer=0, **kw):
    return syn(peer, **kw) + seg(peer)


def op(o, arg=0, *params):
    return bytes([o | (arg << 4)] + list(params))


def pump(rounds=16):
    return op(PUMP, 0, rounds - 1)


SEEDS = {
    # Handshake, GET of the 13-byte page, the client ACKs the reply.
    "get": config() + handshake() + seg(flags=F_PSH_ACK, payload=P_GET_T) + pump(2),
    # The 20 KB page at MTU 576 without options (MSS 536), pipelined small ones.
    "get-big-576": config(mtu_sel=1) + handshake(linux=False)
    + seg(flags=F_PSH_ACK, payload=P_GET_B) + pump(16) + pump(16)
    + seg(flags=F_PSH_ACK, payload=P_PIPE4) + pump(4),
    # Jumbo frames, HEAD and the empty page.
    "head-9000": config(mtu_sel=2) + handshake()
    + seg(flags=F_PSH_ACK, payload=P_HEAD_B) + seg(flags=F_PSH_ACK, payload=P_GET_E)
    + seg(flags=F_PSH_ACK, payload=P_GET_B) + pump(8),
    # Connection: close: the server closes, the client closes, TIME_WAIT ends.
    "close": config(time_wait_sel=2) + handshake()
    + seg(flags=F_PSH_ACK, payload=P_GET_T_CLOSE) + pump(2)
    + seg(flags=F_FIN_ACK) + pump(2) + op(DEADLINE) + op(DEADLINE),
    # The client closes first (half-close after a request).
    "client-fin": config() + handshake()
    + seg(flags=F_PSH_ACK, payload=P_GET_B) + seg(flags=F_FIN_ACK) + pump(16)
    + op(DEADLINE) + op(DEADLINE),
    # A RST in the middle of a reply.
    "rst": config() + handshake() + seg(flags=F_PSH_ACK, payload=P_GET_B) + pump(1)
    + seg(flags=F_RST),
    # Losses: the client misses frames, the stack retransmits (fast and RTO).
    "loss": config() + handshake() + op(LOSE, 0, 2) + seg(flags=F_PSH_ACK, payload=P_GET_B)
    + pump(6) + op(DEADLINE) + pump(16) + op(DEADLINE) + op(DEADLINE),
    # The tx ring is full for a while.
    "tx-full": config() + syn() + op(REFUSE, 0, 3) + seg() + seg(flags=F_PSH_ACK, payload=P_GET_B)
    + op(POLL) + op(REFUSE, 0, 0) + op(POLL) + pump(16),
    # A zero window, persist probes, then the window opens.
    "zero-window": config() + handshake() + seg(flags=F_PSH_ACK, win=W_0, payload=P_GET_B)
    + op(DEADLINE) + op(DEADLINE) + op(DEADLINE) + seg() + pump(16),
    # More peers than slots: refusals, TIME_WAIT reclaimed.
    "many-conns": config(max_conns=2, time_wait_sel=3) + handshake(0) + handshake(1)
    + handshake(2) + seg(0, F_PSH_ACK, payload=P_GET_T_CLOSE) + pump(2)
    + seg(0, F_FIN_ACK) + pump(1) + handshake(3) + handshake(0) + op(ABORT),
    # The request arrives out of order, in two pieces.
    "reorder": config() + handshake()
    + seg(flags=F_PSH_ACK, seq=S_AHEAD8, payload=P_SLICE | (P_GET_T - 1),
          params=bytes([9, 10, 100]))
    + seg(flags=F_PSH_ACK, payload=P_SLICE | (P_GET_T - 1), params=bytes([0, 10]))
    + pump(2),
    # Two connections in TIME_WAIT; the first one's FIN comes again (its
    # TIME_WAIT restarts and moves to the back of the FIFO).
    "two-time-wait": config(time_wait_sel=3) + handshake(0) + handshake(1)
    + seg(0, F_PSH_ACK, payload=P_GET_T_CLOSE) + pump(1) + seg(0, F_FIN_ACK) + pump(1)
    + seg(1, F_PSH_ACK, payload=P_GET_T_CLOSE) + pump(1) + seg(1, F_FIN_ACK) + pump(1)
    + seg(0, F_FIN_ACK, seq=7) + op(DEADLINE) + op(DEADLINE) + op(DEADLINE),
    # 16 replies queued and unacknowledged, then 8 KiB more: the receive
    # buffer fills and the window closes.
    "rx-full": config() + handshake()
    + seg(flags=F_PSH_ACK, ack=A_LAST, payload=P_PIPE4) * 4
    + seg(flags=F_PSH_ACK, ack=A_LAST, payload=P_FILL, params=struct.pack(">HB", 8192, ord("a")))
    + seg(seq=7, ack=A_LAST) + op(ADVANCE, 0, 5) + pump(4),
    # A window one byte short of a close reply, then closed: the persist
    # probe carries the last byte and the FIN.
    "probe-fin": config() + seg(flags=F_SYN, win=W_RAW, params=struct.pack(">H", 173))
    + seg(win=W_RAW, params=struct.pack(">H", 173))
    + seg(flags=F_PSH_ACK, win=W_RAW, params=struct.pack(">H", 173), payload=P_GET_T_CLOSE)
    + seg(win=W_0) + op(DEADLINE) + op(DEADLINE) + seg() + seg(flags=F_FIN_ACK)
    + op(DEADLINE) + op(DEADLINE),
    # Idle timeout closes a silent connection.
    "idle": config(idle=True, idle_sel=0) + handshake() + op(ADVANCE, 0, 210) + pump(2)
    + op(DEADLINE) + op(DEADLINE),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds-netstack")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
