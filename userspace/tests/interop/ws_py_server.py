#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A Python websockets echo server for our ws_client; prints its port."""
import sys
from websockets.sync.server import serve


def echo(ws):
    try:
        for m in ws:
            ws.send(m)
    except Exception:
        pass


compression = "deflate" if len(sys.argv) > 1 and sys.argv[1] == "deflate" else None
with serve(echo, "127.0.0.1", 0, max_size=None,
           compression=compression) as server:
    print(server.socket.getsockname()[1], flush=True)
    server.serve_forever()
