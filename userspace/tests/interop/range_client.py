#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Byte ranges and conditional requests through Python's http.client
(one connection for every request) and urllib.

  range_client.py PORT same     print one normalised line per request
                                that nginx must answer as we do, for
                                interop.sh to compare
  range_client.py PORT ours     check the answers that differ from
                                nginx's on purpose (and print nginx's
                                way beside them in the reasons below)

Files (served from the same directory by both servers): /big.bin
(1 MiB) and /empty.bin, both with an mtime in the past.
"""
import hashlib
import http.client
import sys
import urllib.error
import urllib.request

port = int(sys.argv[1])
mode = sys.argv[2]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)


def fetch(method, path, headers):
    conn.request(method, path, headers=headers)
    r = conn.getresponse()
    return r, r.read()


def digest(b):
    return hashlib.sha256(b).hexdigest()[:16]


def parts_of(ctype, body):
    """Split a multipart/byteranges body by its parts' Content-Range."""
    boundary = ctype.split("boundary=", 1)[1].strip('"').encode()
    delim = b"\r\n--" + boundary
    assert body.startswith(delim), body[:40]
    out, pos = [], len(delim)
    while not body.startswith(b"--", pos):
        assert body.startswith(b"\r\n", pos)
        end = body.index(b"\r\n\r\n", pos)
        fields = dict(
            (k.strip().lower(), v.strip())
            for k, v in (line.split(b":", 1) for line in body[pos + 2:end].split(b"\r\n"))
        )
        cr = fields[b"content-range"].decode()
        first, last = map(int, cr.split(" ")[1].split("/")[0].split("-"))
        data = body[end + 4:end + 4 + last - first + 1]
        out.append("%s:%s:%s" % (cr, fields[b"content-type"].decode(), digest(data)))
        pos = end + 4 + last - first + 1
        assert body.startswith(delim, pos), "part %s runs on" % cr
        pos += len(delim)
    assert body[pos:] == b"--\r\n", body[pos:]
    return out


def line(name, r, body):
    """What must agree: status, the headers that matter, the bytes."""
    ctype = r.getheader("Content-Type", "-")
    multipart = ctype.startswith("multipart/byteranges")
    fields = [name, str(r.status)]
    fields.append("CR=" + r.getheader("Content-Range", "-"))
    # nginx's error pages have bodies, its boundaries other lengths
    if r.status in (200, 206, 304) and not multipart:
        fields.append("CL=" + r.getheader("Content-Length", "-"))
    if multipart:
        assert int(r.getheader("Content-Length")) == len(body)
    fields.append("AR=" + r.getheader("Accept-Ranges", "-"))
    if r.status in (200, 206):
        fields.append("CT=" + ctype.split(";")[0])
    if r.status in (200, 206, 304):
        fields.append("ETag=" + r.getheader("ETag", "-"))
        fields.append("LM=" + r.getheader("Last-Modified", "-"))
    if multipart:
        fields.append("parts=" + ",".join(parts_of(ctype, body)))
    elif r.status in (200, 206):
        fields.append("body=" + digest(body))
    return " ".join(fields)


def same():
    r, body = fetch("GET", "/big.bin", {})
    print(line("full", r, body))
    etag, lm = r.getheader("ETag"), r.getheader("Last-Modified")
    cases = [
        ("first-10", {"Range": "bytes=0-9"}),
        ("suffix-100", {"Range": "bytes=-100"}),
        ("from-1000000", {"Range": "bytes=1000000-"}),
        ("clamped", {"Range": "bytes=1048000-2000000"}),
        ("suffix-longer-than-file", {"Range": "bytes=-2000000"}),
        ("two-ranges", {"Range": "bytes=0-0,10-19"}),
        ("three-ranges-descending", {"Range": "bytes=500000-500099,1000-1099,-5"}),
        ("spaces-around-commas", {"Range": "bytes=0-1 , 4-5"}),
        ("unit-case", {"Range": "Bytes=0-3"}),
        ("unsatisfiable", {"Range": "bytes=2000000-"}),
        ("dos-overlapping", {"Range": "bytes=0-,0-,0-"}),
        ("dos-more-than-file", {"Range": "bytes=0-600000,500000-"}),
        ("other-unit", {"Range": "items=0-1"}),
        ("no-equals", {"Range": "bytes0-1"}),
        ("if-range-etag", {"Range": "bytes=5-9", "If-Range": etag}),
        ("if-range-weak-etag", {"Range": "bytes=5-9", "If-Range": "W/" + etag}),
        ("if-range-other-etag", {"Range": "bytes=5-9", "If-Range": '"x"'}),
        ("if-range-date", {"Range": "bytes=5-9", "If-Range": lm}),
        ("if-range-other-date", {"Range": "bytes=5-9",
                                 "If-Range": "Thu, 01 Jan 2015 00:00:00 GMT"}),
        ("if-none-match", {"If-None-Match": etag}),
        ("if-none-match-list", {"If-None-Match": '"a", ' + etag}),
        ("if-none-match-star", {"If-None-Match": "*"}),
        ("if-none-match-other", {"If-None-Match": '"a"'}),
        ("if-none-match-before-range", {"If-None-Match": etag, "Range": "bytes=0-1"}),
        ("if-modified-since", {"If-Modified-Since": lm}),
        ("if-modified-since-before", {"If-Modified-Since": "Thu, 01 Jan 2015 00:00:00 GMT"}),
        ("if-match-other", {"If-Match": '"x"'}),
        ("if-unmodified-since-before", {"If-Unmodified-Since": "Thu, 01 Jan 2015 00:00:00 GMT"}),
    ]
    for name, headers in cases:
        r, body = fetch("GET", "/big.bin", headers)
        print(line(name, r, body))
        if r.status == 412:
            conn.close()  # nginx drops the connection after a 412
    r, body = fetch("HEAD", "/big.bin", {})
    print(line("head", r, body))
    for name, rng in (("empty-full", None), ("empty-suffix", "bytes=-5"),
                      ("empty-from-1", "bytes=1-")):
        r, body = fetch("GET", "/empty.bin", {"Range": rng} if rng else {})
        print(line(name, r, body))
    # urllib: a 206, and a 416 raised as HTTPError
    req = urllib.request.Request("http://127.0.0.1:%d/big.bin" % port,
                                 headers={"Range": "bytes=100-199"})
    with urllib.request.urlopen(req, timeout=20) as r:
        print(line("urllib-206", r, r.read()))
    req = urllib.request.Request("http://127.0.0.1:%d/big.bin" % port,
                                 headers={"Range": "bytes=5000000-"})
    try:
        urllib.request.urlopen(req, timeout=20)
        print("urllib-416 not raised")
    except urllib.error.HTTPError as e:
        print(line("urllib-416", e, e.read()))


def ours():
    """Where we follow RFC 9110 and nginx does not."""
    big = open(sys.argv[3], "rb").read()
    fetch("GET", "/empty.bin", {})
    sock = conn.sock
    expect = [
        # 14.1.1/14.2: an invalid ranges-specifier may be ignored: 200;
        # nginx answers 416
        ("GET", "/big.bin", {"Range": "bytes=5-3"}, 200, None),
        ("GET", "/big.bin", {"Range": "bytes=abc"}, 200, None),
        ("GET", "/big.bin", {"Range": "bytes=0-0,,2-2"}, 206, None),
        # a last-pos past 64 bits is still past the end: clamped; nginx 416
        ("GET", "/big.bin", {"Range": "bytes=1048570-99999999999999999999"}, 206,
         "bytes 1048570-1048575/1048576"),
        # 14.2: Range is defined for GET only; nginx answers HEAD with 206
        ("HEAD", "/big.bin", {"Range": "bytes=0-9"}, 200, None),
        # 14.3: overlapping ranges coalesced; nginx sends both parts
        ("GET", "/big.bin", {"Range": "bytes=0-9,5-19"}, 206, "bytes 0-19/1048576"),
        # more than 16 ranges: the whole, as a guard; nginx has no limit
        ("GET", "/big.bin", {"Range": "bytes=" + ",".join("%d-%d" % (i * 2, i * 2)
                                                         for i in range(17))}, 200, None),
        # 14.1.2: "0-" of an empty body is unsatisfiable; nginx sends 200
        ("GET", "/empty.bin", {"Range": "bytes=0-"}, 416, "bytes */0"),
    ]
    for method, path, headers, status, cr in expect:
        r, body = fetch(method, path, headers)
        assert r.status == status, (headers, r.status)
        assert r.getheader("Content-Range") == cr, (headers, r.getheader("Content-Range"))
        if status == 200 and method == "GET" and path == "/big.bin":
            assert body == big
        if method == "HEAD":
            assert body == b"" and r.getheader("Content-Length") == str(len(big))
        if cr and cr.startswith("bytes 1048570"):
            assert body == big[1048570:]
        if cr == "bytes 0-19/1048576":
            assert body == big[:20]
    # one connection carried every answer, the 416 included
    assert conn.sock is sock, "the connection was not kept"
    print("ok")


same() if mode == "same" else ours()
