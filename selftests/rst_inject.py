#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rst_inject.py - send one hand-built TCP segment, for wire.sh.

  rst_inject.py [-f FLAGS] [-a ACK] [-c COUNT] SRC:SPORT DST:DPORT SEQ

Builds an IPv4 + TCP header (no options, no payload) with the given
sequence number and sends it COUNT times (default 1) through a raw
IPPROTO_RAW socket, so the source address and port may be anyone's:
the segment looks as if SRC:SPORT had sent it.  FLAGS is a string of
the letters F S R P A U (default "R"); ACK is the acknowledgment
number, sent only with the A flag (default 0).  The TCP checksum is
computed here; the kernel fills the IP header's length, id and
checksum.  Prints one line "sent FLAGS SRC:SPORT > DST:DPORT seq SEQ
ack ACK" per segment.  Needs CAP_NET_RAW.  Exits 0, or 1 with a
message on stderr.
"""

import argparse
import socket
import struct
import sys

FLAG_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10,
             "U": 0x20}


def checksum(data):
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def endpoint(text):
    """"ADDR:PORT" -> (packed address, port)."""
    addr, sep, port = text.rpartition(":")
    if not sep:
        raise argparse.ArgumentTypeError("%r is not ADDR:PORT" % text)
    try:
        packed = socket.inet_aton(addr)
        port = int(port, 10)
    except (OSError, ValueError) as err:
        raise argparse.ArgumentTypeError("%r: %s" % (text, err)) from err
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError("%r: bad port" % text)
    return addr, packed, port


def u32(text):
    value = int(text, 0)
    if not 0 <= value < 1 << 32:
        raise argparse.ArgumentTypeError("%r is not a 32-bit number" % text)
    return value


def segment(src, dst, sport, dport, seq, ack, flags, window=0):
    """IPv4 header + TCP header with a correct TCP checksum."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      window, 0, 0)
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, socket.IPPROTO_TCP,
                         len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    # version/ihl, tos, total length, id, DF, ttl, protocol, checksum
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                     64, socket.IPPROTO_TCP, 0, src, dst)
    return ip + tcp


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-f", "--flags", default="R")
    parser.add_argument("-a", "--ack", type=u32, default=0)
    parser.add_argument("-c", "--count", type=int, default=1)
    parser.add_argument("src", type=endpoint)
    parser.add_argument("dst", type=endpoint)
    parser.add_argument("seq", type=u32)
    args = parser.parse_args()

    flags = 0
    for letter in args.flags.upper():
        if letter not in FLAG_BITS:
            parser.error("unknown flag %r in %r" % (letter, args.flags))
        flags |= FLAG_BITS[letter]
    ack = args.ack if flags & FLAG_BITS["A"] else 0

    (saddr, src, sport), (daddr, dst, dport) = args.src, args.dst
    pkt = segment(src, dst, sport, dport, args.seq, ack, flags)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_RAW,
                           socket.IPPROTO_RAW) as sock:
            for _ in range(args.count):
                sock.sendto(pkt, (daddr, 0))
                print("sent %s %s:%d > %s:%d seq %d ack %d" %
                      (args.flags.upper(), saddr, sport, daddr, dport,
                       args.seq, ack), flush=True)
    except OSError as err:
        print("rst_inject.py: %s" % err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
