#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""syn_peer.py - a listener's SYN handling on the wire, for syn.sh.

  syn_peer.py CASE FAMILY PEER_IFACE SERVER_MAC

Runs in one network namespace where a veth pair joins SERVER_IFACE
(10.85.0.1/24, the listener's side, with a permanent neighbour entry
for 10.85.0.2) to PEER_IFACE (no address, so this namespace's TCP
never answers for 10.85.0.2).  The listener is FAMILY's: "inet"
(native TCP) or "ktcp" (the family number read from
/sys/module/ktcp/parameters/family), opened through libc, since
Python cannot build a sockaddr for an unknown family.  The peer,
10.85.0.2, builds every frame by hand on PEER_IFACE (AF_PACKET) and
reads every one the listener sends.  Sysctls are set for FAMILY in
this namespace only.  Cases, each printing one "verdict ..." line:

  cookie     syncookies=2: a SYN-ACK carries a cookie, and the ACK of
             it makes a connection ("control=accepted").  Then a second
             SYN's cookie, the listener closed, syncookies=1 and a new
             listener on the port, which never sent a cookie: the ACK of
             the old cookie, valid as it is, is an ACK no request
             expects, and draws a RST ("stale=rst,none": a RST, and
             nothing to accept).  Native checks cookies only within two
             minutes of a SYN queue overflow.
  defer      synack_retries=1, TCP_DEFER_ACCEPT 30 s, a SYN never ACKed:
             native sends the SYN-ACK and one retransmission, and forgets
             the request ("synacks=2"); an ACK 4.5 s after the SYN then
             finds none and draws a RST ("ack=rst").
  broadcast  A wildcard listener; SYNs to 10.85.0.255 (link broadcast,
             and unicast frame), to 255.255.255.255, to 224.0.0.1, and
             to 10.85.0.1 in a link multicast frame: no answer and no
             request; only a control SYN to 10.85.0.1 in a unicast frame
             is answered ("answered=f synrecv=1": one SYN_RECV row).
  dupsyn     invalid_ratelimit=200: after the SYN-ACK, two bursts of five
             copies of the SYN, 0.4 s apart: one SYN-ACK per burst, the
             other eight counted in TCPACKSkippedSynRecv; the ACK then
             makes the connection.

Needs root (CAP_NET_RAW, sysctls).  Exits 0 when the case ran to its
verdict, 1 if not.
"""

import ctypes
import os
import select
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
SERVER = "10.85.0.1"
PEER = "10.85.0.2"
TCP_DEFER_ACCEPT = 9
SOCK_NONBLOCK = 0o4000

libc = ctypes.CDLL(None, use_errno=True)


def checksum(data):
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class Segment:
    """What the peer needs of a segment the listener sent."""

    def __init__(self, ip, tcp):
        self.src = socket.inet_ntoa(ip[12:16])
        (self.sport, self.dport, self.seq, self.ack, _,
         self.flags) = struct.unpack("!HHIIBB", tcp[:14])


class Link:
    """10.85.0.2 on PEER_IFACE, every frame by hand."""

    def __init__(self, iface, server_mac):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(ETH_P_IP))
        self.sock.bind((iface, ETH_P_IP))
        self.mac = self.sock.getsockname()[4]
        self.server_mac = bytes.fromhex(server_mac.replace(":", ""))
        self.addr = socket.inet_aton(PEER)

    def send(self, sport, dport, seq, flags, ack=0, dst=SERVER, mac=None):
        """One segment from PEER:sport, MSS 1460 on a SYN."""
        opts = struct.pack("!BBH", 2, 4, 1460) if flags & SYN else b""
        daddr = socket.inet_aton(dst)
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack,
                          (5 + len(opts) // 4) << 4, flags, 65535, 0,
                          0) + opts
        pseudo = struct.pack("!4s4sBBH", self.addr, daddr, 0,
                             socket.IPPROTO_TCP, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                         64, socket.IPPROTO_TCP, 0, self.addr, daddr)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        self.sock.send((mac or self.server_mac) + self.mac +
                       struct.pack("!H", ETH_P_IP) + ip + tcp)

    def recv(self, deadline, dport=None):
        """The next segment to PEER (to PEER:dport), or None by deadline."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                frame, sll = self.sock.recvfrom(65536)
            except socket.timeout:
                return None
            if sll[2] == PACKET_OUTGOING or len(frame) < 14 + 40:
                continue
            ip = frame[14:]
            if ip[0] >> 4 != 4 or ip[9] != socket.IPPROTO_TCP:
                continue
            if ip[16:20] != self.addr:
                continue
            ihl = (ip[0] & 15) * 4
            seg = Segment(ip, ip[ihl:])
            if dport is None or seg.dport == dport:
                return seg

    def synack(self, sport, seconds=5):
        """The SYN-ACK to PEER:sport, or None."""
        deadline = time.monotonic() + seconds
        while True:
            seg = self.recv(deadline, sport)
            if seg is None or seg.flags & (SYN | ACK) == SYN | ACK:
                return seg

    def count(self, sport, seconds, flags=SYN | ACK):
        """How many segments with all of flags came to PEER:sport."""
        deadline = time.monotonic() + seconds
        n = 0
        while True:
            seg = self.recv(deadline, sport)
            if seg is None:
                return n
            n += seg.flags & flags == flags


class SockaddrIn(ctypes.Structure):
    _fields_ = [("family", ctypes.c_ushort), ("port", ctypes.c_uint16),
                ("addr", ctypes.c_uint8 * 4), ("zero", ctypes.c_uint8 * 8)]


class Stack:
    """FAMILY's sockets, sysctls and counters."""

    def __init__(self, family):
        self.ktcp = family == "ktcp"
        if self.ktcp:
            with open("/sys/module/ktcp/parameters/family") as f:
                self.family = int(f.read())
        else:
            self.family = socket.AF_INET

    def sysctl(self, name, value):
        path = ("/proc/sys/net/ktcp/" + name if self.ktcp else
                "/proc/sys/net/ipv4/tcp_" + name)
        with open(path, "w") as f:
            f.write("%d\n" % value)

    def check(self, what, ret):
        if ret < 0:
            raise OSError(ctypes.get_errno(), "%s: %s" % (
                what, os.strerror(ctypes.get_errno())))
        return ret

    def setsockopt(self, fd, level, name, value):
        val = ctypes.c_int(value)
        self.check("setsockopt", libc.setsockopt(fd, level, name,
                                                 ctypes.byref(val), 4))

    def listener(self, port, defer=0):
        """A listener on 0.0.0.0:port, its descriptor."""
        fd = self.check("socket", libc.socket(self.family,
                                              socket.SOCK_STREAM, 0))
        self.setsockopt(fd, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if defer:
            self.setsockopt(fd, socket.IPPROTO_TCP, TCP_DEFER_ACCEPT, defer)
        sin = SockaddrIn(socket.AF_INET, socket.htons(port))
        self.check("bind", libc.bind(fd, ctypes.byref(sin),
                                     ctypes.sizeof(sin)))
        self.check("listen", libc.listen(fd, 16))
        return fd

    @staticmethod
    def accept(fd, seconds):
        """A connection accepted within seconds: its descriptor, or -1."""
        p = select.poll()
        p.register(fd, select.POLLIN)
        if not p.poll(seconds * 1000):
            return -1
        return libc.accept4(fd, None, None, SOCK_NONBLOCK)

    def counter(self, name):
        """A TcpExt counter (ktcp: /proc/net/ktcp_snmp)."""
        if self.ktcp:
            with open("/proc/net/ktcp_snmp") as f:
                for line in f:
                    k, _, v = line.partition(" ")
                    if k == name:
                        return int(v)
            raise KeyError(name)
        with open("/proc/net/netstat") as f:
            lines = f.read().splitlines()
        for head, vals in zip(lines[::2], lines[1::2]):
            if head.startswith("TcpExt:"):
                return int(dict(zip(head.split(), vals.split()))[name])
        raise KeyError(name)

    def syn_recv(self, port):
        """SYN_RECV rows of local port in /proc/net/{ktcp,tcp}."""
        n = 0
        for path in (["/proc/net/ktcp", "/proc/net/ktcp6"] if self.ktcp
                     else ["/proc/net/tcp", "/proc/net/tcp6"]):
            try:
                with open(path) as f:
                    rows = f.read().splitlines()[1:]
            except FileNotFoundError:
                continue
            for row in rows:
                col = row.split()
                if (len(col) > 3 and col[3] == "03" and
                        int(col[1].rsplit(":", 1)[1], 16) == port):
                    n += 1
        return n


def native_cookie_window(stack):
    """Native's tcp_synq_no_recent_overflow() compares 32-bit jiffies
    with a new listener's stamp, 0: from 299 to 420 s after boot
    (INITIAL_JIFFIES is 300 s before the 32-bit wrap) every listener
    looks as if it overflowed lately.  Wait that window out."""
    if stack.ktcp:
        return
    with open("/proc/uptime") as f:
        up = float(f.read().split()[0])
    if 295 <= up <= 425:
        print("# native: %d s after boot, waiting out the jiffies window"
              % up, flush=True)
        time.sleep(426 - up)


def case_cookie(link, stack, sport):
    port = 8001
    stack.sysctl("syncookies", 2)
    l1 = stack.listener(port)
    link.send(sport, port, 1000, SYN)
    sa = link.synack(sport)
    if sa is None:
        return "no SYN-ACK to the first SYN"
    link.send(sport, port, 1001, ACK, sa.seq + 1)
    c = stack.accept(l1, 3)
    control = "accepted" if c >= 0 else "none"
    # Gone on both sides: the peer resets it.
    link.send(sport, port, 1001, RST)
    if c >= 0:
        os.close(c)

    link.send(sport + 1, port, 2000, SYN)
    sa = link.synack(sport + 1)
    if sa is None:
        return "no SYN-ACK to the second SYN"
    os.close(l1)
    stack.sysctl("syncookies", 1)
    native_cookie_window(stack)
    l2 = stack.listener(port)
    link.send(sport + 1, port, 2001, ACK, sa.seq + 1)
    seg = link.recv(time.monotonic() + 2, sport + 1)
    answer = ("none" if seg is None else
              "rst" if seg.flags & RST else "flags=%#x" % seg.flags)
    c = stack.accept(l2, 0.5)
    if c >= 0:
        link.send(sport + 1, port, 2001, RST)
        os.close(c)
    os.close(l2)
    return "verdict control=%s stale=%s,%s" % (
        control, answer, "accepted" if c >= 0 else "none")


def case_defer(link, stack, sport):
    port = 8002
    stack.sysctl("synack_retries", 1)
    fd = stack.listener(port, defer=30)
    t0 = time.monotonic()
    link.send(sport, port, 3000, SYN)
    sa = link.synack(sport)
    if sa is None:
        return "no SYN-ACK"
    n = 1 + link.count(sport, t0 + 4.5 - time.monotonic())
    link.send(sport, port, 3001, ACK, sa.seq + 1)
    seg = link.recv(time.monotonic() + 2, sport)
    answer = ("none" if seg is None else
              "rst" if seg.flags & RST else "flags=%#x" % seg.flags)
    os.close(fd)
    return "verdict synacks=%d ack=%s" % (n, answer)


def case_broadcast(link, stack, sport):
    port = 8003
    fd = stack.listener(port)
    bcast = b"\xff" * 6
    mcast = bytes.fromhex("01005e000001")
    syns = [("a", "10.85.0.255", bcast), ("b", "10.85.0.255", None),
            ("c", "255.255.255.255", bcast), ("d", SERVER, mcast),
            ("e", "224.0.0.1", mcast), ("f", SERVER, None)]
    for i, (_, dst, mac) in enumerate(syns):
        link.send(sport + i, port, 5000, SYN, dst=dst, mac=mac)
    answered = set()
    deadline = time.monotonic() + 1.5
    while True:
        seg = link.recv(deadline)
        if seg is None:
            break
        if 0 <= seg.dport - sport < len(syns):
            answered.add(syns[seg.dport - sport][0])
    rows = stack.syn_recv(port)
    os.close(fd)
    return "verdict answered=%s synrecv=%d" % (
        ",".join(sorted(answered)) or "none", rows)


def case_dupsyn(link, stack, sport):
    port = 8004
    stack.sysctl("invalid_ratelimit", 200)
    fd = stack.listener(port)
    skipped = stack.counter("TCPACKSkippedSynRecv")
    link.send(sport, port, 4000, SYN)
    sa = link.synack(sport)
    if sa is None:
        return "no SYN-ACK"
    # Both bursts well before the SYN-ACK timer's first second.
    t0 = time.monotonic()
    bursts = []
    for start in (0.02, 0.42):
        time.sleep(max(0, t0 + start - time.monotonic()))
        for _ in range(5):
            link.send(sport, port, 4000, SYN)
        bursts.append(link.count(sport, 0.2))
    skipped = stack.counter("TCPACKSkippedSynRecv") - skipped
    link.send(sport, port, 4001, ACK, sa.seq + 1)
    c = stack.accept(fd, 3)
    if c >= 0:
        link.send(sport, port, 4001, RST)
        os.close(c)
    os.close(fd)
    return "verdict burst1=%d burst2=%d skipped=%d accept=%s" % (
        bursts[0], bursts[1], skipped, "accepted" if c >= 0 else "none")


CASES = {"cookie": case_cookie, "defer": case_defer,
         "broadcast": case_broadcast, "dupsyn": case_dupsyn}


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in CASES:
        print(__doc__, file=sys.stderr)
        return 1
    case, family, iface, server_mac = sys.argv[1:]
    stack = Stack(family)
    link = Link(iface, server_mac)
    # Each stack its own ports: nothing of one run meets the other's.
    sport = 41000 if stack.ktcp else 40000
    sport += 100 * list(CASES).index(case)
    verdict = CASES[case](link, stack, sport)
    print(verdict, flush=True)
    return 0 if verdict.startswith("verdict") else 1


if __name__ == "__main__":
    sys.exit(main())
