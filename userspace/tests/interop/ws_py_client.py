#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Python websockets as a client of our ws_server: echo of text and
binary messages of several sizes, a fragmented message, pings, close
codes, permessage-deflate, and the broadcast path."""
import os
import sys
from websockets.sync.client import connect

port, what = int(sys.argv[1]), sys.argv[2]
url = f"ws://127.0.0.1:{port}"
SIZES = [0, 125, 126, 65535, 65536, 16 << 20]


def payload(n, text):
    if text:
        return ("abcdefghijklmnopqrstuvwxyz" * (n // 26 + 1))[:n]
    return os.urandom(n)


if what == "echo":
    with connect(url + "/echo", max_size=None, compression=None,
                 subprotocols=["echo"], open_timeout=20) as ws:
        assert ws.subprotocol == "echo"
        for n in SIZES:
            for text in (True, False):
                m = payload(n, text)
                ws.send(m)
                assert ws.recv(timeout=60) == m, (n, text)
        ws.send("κόσμε" * 1000)
        assert ws.recv(timeout=20) == "κόσμε" * 1000
        # fragmented: an iterable is sent as fragments
        ws.send(["frag", "men", "ted"])
        assert ws.recv(timeout=20) == "fragmented"
        ws.send([b"\x00", b"\x01\x02"])
        assert ws.recv(timeout=20) == b"\x00\x01\x02"
        # ping with payload: the pong must come back
        assert ws.ping(b"hello").wait(20)
        ws.close(4001, "bye")
        assert ws.close_code == 4001, ws.close_code
elif what == "deflate":
    with connect(url + "/echo", max_size=None, open_timeout=20) as ws:
        ext = ws.response.headers.get("Sec-WebSocket-Extensions", "")
        assert "permessage-deflate" in ext, ext
        for n in (0, 10, 70000, 1 << 20):
            m = "deflate me " * (n // 11)
            ws.send(m)
            assert ws.recv(timeout=60) == m
        ws.close()
        assert ws.close_code == 1000
elif what == "broadcast":
    with connect(url + "/broadcast", open_timeout=20) as a, \
         connect(url + "/broadcast", open_timeout=20) as b:
        a.ping().wait(10); b.ping().wait(10)
        a.send("to all")
        assert a.recv(timeout=20) == "to all"
        assert b.recv(timeout=20) == "to all"
print("ok")
