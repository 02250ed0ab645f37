#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""hostile_app.py - the application side of hostile.sh.

  hostile_app.py echo PORT
  hostile_app.py send HOST PORT NBYTES [USER_TIMEOUT_MS]
  hostile_app.py fill HOST PORT block|close [USER_TIMEOUT_MS]

Plain AF_INET code: hostile.sh runs it natively, and on ktcp through
libktcp-preload.so, so both stacks run the very same calls.

  echo   accept connections one after another on PORT and echo what
         each sends until it ends (EOF or reset)
  send   connect (with TCP_USER_TIMEOUT if given), send NBYTES, wait
         until the peer ends the connection
  fill   connect (with TCP_USER_TIMEOUT if given) and write until the
         send buffer is full; "block": then keep writing in blocking
         mode and print the error that ends it, with the seconds
         waited; "close": close() at once, leaving the data queued
         (an orphan)

Prints one JSON line.  Exits 0, or 1 with a message on stderr.
"""

import errno
import json
import socket
import sys
import time


def echo(port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(16)
    print(json.dumps({"listening": port}), flush=True)
    while True:
        conn, _ = srv.accept()
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                conn.sendall(data)
        except OSError:
            pass
        conn.close()


def send(host, port, nbytes, user_timeout):
    s = socket.create_connection((host, port), timeout=30)
    if user_timeout:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT,
                     user_timeout)
    t0 = time.monotonic()
    s.sendall(b"m" * nbytes)
    try:
        while s.recv(4096):
            pass
        end = "eof"
    except OSError as err:
        end = errno.errorcode.get(err.errno, str(err))
    s.close()
    print(json.dumps({"sent": nbytes, "end": end,
                      "waited": round(time.monotonic() - t0, 1)}),
          flush=True)


def fill(host, port, how, user_timeout):
    s = socket.create_connection((host, port), timeout=30)
    if user_timeout:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT,
                     user_timeout)
    s.setblocking(False)
    queued = 0
    chunk = b"z" * 65536
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        try:
            queued += s.send(chunk)
        except BlockingIOError:
            if queued >= 4000:
                break
            time.sleep(0.05)
    if how == "close":
        s.close()
        print(json.dumps({"queued": queued, "closed": True}), flush=True)
        return
    s.setblocking(True)
    s.settimeout(None)
    t0 = time.monotonic()
    try:
        while True:
            queued += s.send(chunk)
    except OSError as err:
        res = errno.errorcode.get(err.errno, str(err))
    print(json.dumps({"queued": queued, "error": res,
                      "waited": round(time.monotonic() - t0, 1)}),
          flush=True)
    s.close()


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "echo":
        echo(int(args[0]))
    elif mode == "send":
        send(args[0], int(args[1]), int(args[2]),
             int(args[3]) if len(args) > 3 else 0)
    elif mode == "fill":
        fill(args[0], int(args[1]), args[2],
             int(args[3]) if len(args) > 3 else 0)
    else:
        print("hostile_app.py: unknown mode %r" % mode, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
