#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Python's http.client against our http_server: keep-alive on one
connection, Content-Length and chunked request bodies, HTTP/1.0."""
import http.client
import sys

port = int(sys.argv[1])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
c.connect()
sock = c.sock
for i in range(5):
    c.request("GET", "/one.txt")
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"file one\n", i
    c.request("POST", "/echo", body=b"x" * (i * 1000))
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"x" * (i * 1000), i
# a chunked request body (from an iterable)
c.request("POST", "/echo", body=iter([b"ab", b"", b"cde"]), encode_chunked=True)
r = c.getresponse()
assert r.read() == b"abcde"
assert c.sock is sock, "connection was not reused"
c.close()

# HTTP/1.0: the server closes after the response
http.client.HTTPConnection._http_vsn = 10
http.client.HTTPConnection._http_vsn_str = "HTTP/1.0"
c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
c.request("GET", "/one.txt")
r = c.getresponse()
assert r.read() == b"file one\n" and r.getheader("Connection") == "close"
print("ok")
