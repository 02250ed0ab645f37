#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw-socket conformance cases against our ws_server (as Autobahn
would send them), each checking the exact close code that comes back."""
import base64
import os
import socket
import struct
import sys

port = int(sys.argv[1])


def frame(op, payload, fin=True, rsv=0, mask=True):
    b0 = (0x80 if fin else 0) | (rsv << 4) | op
    n = len(payload)
    if n < 126:
        hdr = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
    if not mask:
        return hdr + payload
    key = os.urandom(4)
    return hdr + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


def session(frames):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    assert buf.startswith(b"HTTP/1.1 101 "), buf
    buf = buf.split(b"\r\n\r\n", 1)[1]
    for f in frames:
        try:
            s.sendall(f)
        except OSError:
            break
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            break
        if not d:
            break
        buf += d
    s.close()
    # the frames the server sent: find its close code
    out = []
    while len(buf) >= 2:
        op, n = buf[0] & 15, buf[1] & 127
        off = 2
        if n == 126:
            n, off = struct.unpack("!H", buf[2:4])[0], 4
        elif n == 127:
            n, off = struct.unpack("!Q", buf[2:10])[0], 10
        out.append((op, buf[off:off + n]))
        buf = buf[off + n:]
    closes = [p for op, p in out if op == 8]
    assert len(closes) == 1, out
    return struct.unpack("!H", closes[0][:2])[0] if closes[0] else 1005


CASES = [
    ("1.x text echo then normal close", [frame(1, b"hi"), frame(8, struct.pack("!H", 1000))], 1000),
    ("2.5 ping payload over 125", [frame(9, b"x" * 126)], 1002),
    ("3.x rsv1 set without extension", [frame(1, b"x", rsv=4)], 1002),
    ("3.x rsv3 on a ping", [frame(9, b"", rsv=1)], 1002),
    ("4.1 reserved data opcode 3", [frame(3, b"")], 1002),
    ("4.2 reserved control opcode 11", [frame(11, b"")], 1002),
    ("5.1 fragmented ping", [frame(9, b"a", fin=False)], 1002),
    ("5.9 continuation without start", [frame(0, b"a")], 1002),
    ("5.x new text inside fragmented", [frame(1, b"a", fin=False), frame(1, b"b")], 1002),
    ("6.x invalid utf-8 surrogate", [frame(1, b"\xed\xa0\x80")], 1007),
    ("6.x invalid utf-8 split across fragments",
     [frame(1, b"\xce", fin=False), frame(0, b"\x41")], 1007),
    ("7.3 close with 1-byte payload", [frame(8, b"\x03")], 1002),
    ("7.5 close reason invalid utf-8", [frame(8, b"\x03\xe8\xff")], 1007),
    ("7.9 close code 1005 on the wire", [frame(8, struct.pack("!H", 1005))], 1002),
    ("7.9 close code 999", [frame(8, struct.pack("!H", 999))], 1002),
    ("7.7 close code 3000 echoed", [frame(8, struct.pack("!H", 3000))], 3000),
    ("unmasked client frame", [frame(1, b"x", mask=False)], 1002),
    ("9.x message over the limit", [frame(2, b"x" * 70000)], 1009),
]

failed = 0
for i, (name, frames, want) in enumerate(CASES, 1):
    try:
        got = session(frames)
        ok = got == want
    except Exception as e:  # noqa: BLE001
        got, ok = repr(e), False
    print(f"{'ok' if ok else 'not ok'} {i} ws conformance: {name}"
          + ("" if ok else f" (got {got}, want {want})"))
    failed += not ok
print(f"# {len(CASES) - failed} of {len(CASES)} conformance cases passed")
sys.exit(1 if failed else 0)
