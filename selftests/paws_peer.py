#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""paws_peer.py - a hand-driven TCP server on a raw link, for paws.sh.

  paws_peer.py peer IFACE MAC ADDR PORT CASE
  paws_peer.py client FAMILY ADDR PORT CASE

"peer" answers one connection to ADDR:PORT on IFACE by hand, through an
AF_PACKET socket (frames to MAC), so its namespace's own TCP never sees
the segments and every one is built here, timestamps included; it then
plays CASE and prints one line, "verdict ...", from what it saw on the
wire.  "client" is the other end: it connects to ADDR:PORT with
FAMILY, "inet" (native TCP) or "ktcp" (the family number read from
/sys/module/ktcp/parameters/family), and does CASE's part.  Cases:

  one_tick   The peer's SYN-ACK offers MSS 100 and timestamps.  It sends
             100 bytes with TSval T+10, waits for their ACK, then the
             next 100 bytes with TSval T+9, one tick below TS.Recent.
             Native TCP takes them (TCP_PAWS_WINDOW): "verdict accepted"
             if the client ACKs them within 5 s, else "verdict dropped".
  rto_ack    The client sends 264 bytes (3 segments of 88); the peer
             acknowledges nothing until the client's RTO resent the
             first one, then sends 10 bytes (again while the ACK of
             them rides on a retransmission).  The client's ACK of those
             must carry SEQ = the highest sequence number it ever sent
             (SND.MAX), as native's does; a smaller one is below the
             RCV.NXT of a receiver that got it all (out of window), and
             at its RCV.NXT refreshes TS.Recent past data still in
             flight, which PAWS then drops.  "verdict ack_seq=snd_max"
             or "verdict ack_seq=snd_max-N".
  ts_invalid Four segments with a TSval 2^31 - 2^16 ahead that the
             client must drop or challenge (a FIN with an ACK of unsent
             data, as the kernel's tcp_ts_recent_invalid_ack.pkt; data
             without the ACK flag; a SYN; a FIN with an ACK below
             SND.UNA - MAX.SND.WND), each followed by 100 bytes in order
             with the true TSval: "verdict kept" if each is ACKed
             echoing that TSval, else which one moved TS.Recent.
  oow_burst  20 pure ACKs far out of the window, 20 SYNs with an old
             TSval (PAWS), 20 copies of old data: "verdict seq=W
             paws=W data=W", W "limited" (one ACK per 500 ms at most),
             "each", "silent" or "acks=N"; and "held seq=N paws=N",
             the ACKs held back.
  tw_burst   The client closes first; at its TIME_WAIT, 20 bare ACKs at
             RCV.NXT, 20 out of the window, 20 data segments: "verdict
             bare=W oow=W data=W" and "held tw=N".

Needs CAP_NET_RAW.  Exits 0 when the case ran to its verdict, 1 if not.
"""

import ctypes
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
PEER_ISS = 1000000
TS0 = 50000
MSS = 100


def checksum(data):
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class Segment:
    """What paws_peer.py needs of a received TCP segment."""

    def __init__(self, ip, tcp):
        self.src = ip[12:16]
        self.dst = ip[16:20]
        (self.sport, self.dport, self.seq, self.ack, off, self.flags,
         self.win) = struct.unpack("!HHIIBBH", tcp[:16])
        hlen = (off >> 4) * 4
        self.payload = tcp[hlen:]
        self.tsval = self.tsecr = None
        opts = tcp[20:hlen]
        i = 0
        while i < len(opts):
            kind = opts[i]
            if kind == 0:
                break
            if kind == 1:
                i += 1
                continue
            if i + 1 >= len(opts) or opts[i + 1] < 2:
                break
            if kind == 8 and opts[i + 1] == 10:
                self.tsval, self.tsecr = struct.unpack("!II", opts[i + 2:i + 10])
            i += opts[i + 1]

    def __str__(self):
        return "flags %#x seq %u ack %u len %d tsval %s" % (
            self.flags, self.seq, self.ack, len(self.payload), self.tsval)


class Peer:
    """One TCP connection, every segment by hand, on an AF_PACKET socket."""

    def __init__(self, iface, mac, addr, port):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(ETH_P_IP))
        self.sock.bind((iface, ETH_P_IP))
        self.local_mac = self.sock.getsockname()[4]
        self.peer_mac = bytes.fromhex(mac.replace(":", ""))
        self.addr = socket.inet_aton(addr)
        self.port = port
        self.client = self.cport = None
        self.rcv_nxt = self.iss = 0
        self.ts_recent = 0
        self.max_end = 0	# the client's SND.MAX as the wire shows it
        self.last_ack = PEER_ISS + 1	# its RCV.NXT as the wire shows it
        self.fin = None		# the sequence number of the client's FIN

    def recv(self, deadline):
        """The next segment from the client to ADDR:PORT, or None."""
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
            ihl = (ip[0] & 15) * 4
            tot = struct.unpack("!H", ip[2:4])[0]
            seg = Segment(ip, ip[ihl:tot])
            if seg.dst != self.addr or seg.dport != self.port:
                continue
            if self.client and (seg.src != self.client or
                                seg.sport != self.cport):
                continue
            if seg.tsval is not None:
                self.ts_recent = seg.tsval
            if seg.flags & ACK:
                self.last_ack = seg.ack
            end = seg.seq + len(seg.payload)
            if self.iss and (end - self.max_end) % (1 << 32) < 1 << 31:
                self.max_end = end % (1 << 32)
            return seg

    def send(self, seq, flags, payload=b"", tsval=TS0, opts=None, ack=None):
        if opts is None:
            opts = struct.pack("!BBBBII", 1, 1, 8, 10, tsval, self.ts_recent)
        if ack is None:
            ack = self.rcv_nxt
        tcp = struct.pack("!HHIIBBHHH", self.port, self.cport, seq % (1 << 32),
                          ack % (1 << 32), (5 + len(opts) // 4) << 4, flags,
                          65535, 0, 0) + opts + payload
        pseudo = struct.pack("!4s4sBBH", self.addr, self.client, 0,
                             socket.IPPROTO_TCP, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                         64, socket.IPPROTO_TCP, 0, self.addr, self.client)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        self.sock.send(self.peer_mac + self.local_mac +
                       struct.pack("!H", ETH_P_IP) + ip + tcp)

    def accept(self, deadline):
        """Answer the client's SYN; True once its ACK came."""
        while True:
            seg = self.recv(deadline)
            if seg is None:
                return False
            if seg.flags & SYN and not seg.flags & ACK:
                break
        self.client, self.cport = seg.src, seg.sport
        self.iss = seg.seq
        self.max_end = (seg.seq + 1) % (1 << 32)
        self.rcv_nxt = (seg.seq + 1) % (1 << 32)
        # MSS 100, SACK not offered, timestamps, no window scale.
        opts = struct.pack("!BBHBBII", 2, 4, MSS, 8, 10, TS0, seg.tsval or 0)
        opts += b"\x01\x01"[:(4 - len(opts) % 4) % 4]
        self.send(PEER_ISS, SYN | ACK, opts=opts)
        while True:
            seg = self.recv(deadline)
            if seg is None:
                return False
            if seg.flags & ACK and seg.ack == PEER_ISS + 1:
                self.take(seg)
                return True

    def take(self, seg):
        """Acknowledge (in our next segment) what the client sent in order."""
        if seg.seq == self.rcv_nxt and seg.payload:
            self.rcv_nxt = (seg.seq + len(seg.payload)) % (1 << 32)
        if seg.flags & FIN and self.fin is None:
            self.fin = seg.seq + len(seg.payload)

    def wait_ack(self, ack, deadline):
        """The first segment that acknowledges up to @ack, or None."""
        while True:
            seg = self.recv(deadline)
            if seg is None or (seg.flags & ACK and seg.ack == ack):
                return seg


def case_one_tick(peer, deadline):
    seq = PEER_ISS + 1
    peer.send(seq, PSH | ACK, b"a" * 100, tsval=TS0 + 10)
    if peer.wait_ack(seq + 100, deadline) is None:
        return "no ACK of the first 100 bytes"
    peer.send(seq + 100, PSH | ACK, b"b" * 100, tsval=TS0 + 9)
    if peer.wait_ack(seq + 200, min(deadline, time.monotonic() + 5)):
        return "verdict accepted"
    return "verdict dropped"


def case_rto_ack(peer, deadline):
    first = None
    # Take nothing in: every data segment stays unacknowledged.
    peer.rcv_nxt = (peer.iss + 1) % (1 << 32)
    while True:
        seg = peer.recv(deadline)
        if seg is None:
            return "no retransmission (highest seq +%d)" % (
                (peer.max_end - peer.iss) % (1 << 32))
        if not seg.payload:
            continue
        if first is None:
            first = seg.seq
        elif seg.seq == first:
            break	# the RTO resent the first segment
    sent = (peer.max_end - peer.iss - 1) % (1 << 32)
    if sent < 3 * 88:
        return "only %d bytes before the RTO" % sent
    time.sleep(0.05)
    # An ACK that rides on a retransmission (the next RTO may come
    # first on a loaded host) says nothing of a pure ACK's sequence
    # number: then the next 10 bytes ask again.
    seq = PEER_ISS + 1
    for _ in range(5):
        peer.send(seq, PSH | ACK, b"c" * 10, tsval=TS0 + 20)
        seq += 10
        seg = peer.wait_ack(seq, deadline)
        if seg is None:
            return "no ACK of the 10 bytes up to %d" % (seq - PEER_ISS - 1)
        if not seg.payload:
            break
    else:
        return "every ACK of the peer's data rode on a retransmission"
    behind = (peer.max_end - seg.seq) % (1 << 32)
    return "verdict ack_seq=snd_max" + ("-%d" % behind if behind else "")


def pure_ack(seg):
    return seg.flags & (SYN | FIN | RST | ACK) == ACK and not seg.payload


def case_ts_invalid(peer, deadline):
    """Segments dropped or challenged must leave TS.Recent alone."""
    seq = PEER_ISS + 1
    una = peer.iss + 1		# the client sent nothing but its SYN
    bad_ts = TS0 + 0x7FFF0000
    bads = (
        # tcp_ts_recent_invalid_ack.pkt: FIN, ACK above SND.NXT
        ("ack_unsent", FIN | ACK, 0, una + 9999),
        ("no_ack_flag", PSH, 100, una),
        ("syn", SYN, 0, una),
        # FIN: in-order data with these flags would take native's fast
        # path, which stores TS.Recent before it looks at the ACK.
        ("ack_too_old", FIN | ACK, 0, una - 100000),
    )
    for step, (name, flags, length, ack) in enumerate(bads, 1):
        peer.send(seq, flags, b"x" * length, tsval=bad_ts + step, ack=ack)
        peer.send(seq, PSH | ACK, b"g" * 100, tsval=TS0 + step, ack=una)
        end = min(deadline, time.monotonic() + 3)
        while True:
            seg = peer.recv(end)
            if seg is None:
                return "verdict %s: data after it not ACKed" % name
            if seg.tsecr is not None and (seg.tsecr - bad_ts) % 2**32 < 16:
                return "verdict %s: TS.Recent moved to its TSval" % name
            if seg.flags & ACK and seg.ack == (seq + 100) % (1 << 32):
                break
        if seg.tsecr != TS0 + step:
            return "verdict %s: ecr %s, not %d" % (name, seg.tsecr,
                                                    TS0 + step)
        seq += 100
    return "verdict kept"


BURST = 20


def burst(peer, send_one, deadline):
    """Send BURST segments, count the pure ACKs the client answers."""
    start = time.monotonic()
    for i in range(BURST):
        send_one(i)
    dur = time.monotonic() - start
    end = min(deadline, time.monotonic() + 0.3)
    acks = 0
    while True:
        seg = peer.recv(end)
        if seg is None:
            break
        if pure_ack(seg):
            acks += 1
    # One ACK per invalid_ratelimit (500 ms) at most, as native.
    if acks == 0:
        word = "silent"
    elif acks <= 1 + int((dur + 0.3) / 0.5):
        word = "limited"
    elif acks >= BURST - 1:
        word = "each"
    else:
        word = "acks=%d" % acks
    print("# %d segments in %.3f s drew %d ACKs" % (BURST, dur, acks))
    return word, BURST - acks


def case_oow_burst(peer, deadline):
    """Bursts of pure ACKs out of window, SYNs PAWS refuses, old data."""
    seq = PEER_ISS + 1
    una = peer.iss + 1
    ts = TS0 + 1
    seq_word, seq_held = burst(peer, lambda i: peer.send(
        seq + 0x40000000, ACK, tsval=ts, ack=una), deadline)
    time.sleep(0.6)		# past invalid_ratelimit since the last ACK
    paws_word, paws_held = burst(peer, lambda i: peer.send(
        seq, SYN, tsval=TS0 - 1000, ack=0), deadline)
    time.sleep(0.6)
    peer.send(seq, PSH | ACK, b"d" * 200, tsval=ts, ack=una)
    if peer.wait_ack(seq + 200, min(deadline, time.monotonic() + 3)) is None:
        return "no ACK of 200 bytes"
    data_word, _ = burst(peer, lambda i: peer.send(
        seq, PSH | ACK, b"d" * 100, tsval=ts, ack=una), deadline)
    print("held seq=%d paws=%d" % (seq_held, paws_held))
    return "verdict seq=%s paws=%s data=%s" % (seq_word, paws_word, data_word)


def case_tw_burst(peer, deadline):
    """The client closed first: bursts at its TIME_WAIT."""
    while peer.fin is None:
        seg = peer.recv(deadline)
        if seg is None:
            return "no FIN from the client"
        peer.take(seg)
    fin_ack = peer.fin + 1
    seq = PEER_ISS + 1
    peer.send(seq, FIN | ACK, tsval=TS0 + 2, ack=fin_ack)
    if peer.wait_ack(seq + 1, min(deadline, time.monotonic() + 3)) is None:
        return "no ACK of our FIN"
    seq += 1
    ts = TS0 + 3
    bare_word, _ = burst(peer, lambda i: peer.send(
        seq, ACK, tsval=ts, ack=fin_ack), deadline)
    oow_word, oow_held = burst(peer, lambda i: peer.send(
        seq + 5000, ACK, tsval=ts, ack=fin_ack), deadline)
    data_word, _ = burst(peer, lambda i: peer.send(
        seq, PSH | ACK, b"t" * 10, tsval=ts, ack=fin_ack), deadline)
    print("held tw=%d" % oow_held)
    return "verdict bare=%s oow=%s data=%s" % (bare_word, oow_word, data_word)


def peer_main(iface, mac, addr, port, case):
    deadline = time.monotonic() + 60
    peer = Peer(iface, mac, addr, int(port))
    print("ready", flush=True)
    if not peer.accept(deadline):
        print("no connection")
        return 1
    verdict = {"one_tick": case_one_tick, "rto_ack": case_rto_ack,
               "ts_invalid": case_ts_invalid, "oow_burst": case_oow_burst,
               "tw_burst": case_tw_burst}[case](peer, deadline)
    print(verdict, flush=True)
    # Let the client go: a RST at its RCV.NXT ends it on both stacks.
    peer.send(peer.last_ack, RST | ACK)
    return 0 if verdict.startswith("verdict") else 1


class SockaddrIn(ctypes.Structure):
    _fields_ = [("family", ctypes.c_ushort), ("port", ctypes.c_uint16),
                ("addr", ctypes.c_uint8 * 4), ("zero", ctypes.c_uint8 * 8)]


def client_main(family, addr, port, case):
    if family == "ktcp":
        with open("/sys/module/ktcp/parameters/family") as f:
            fam = int(f.read())
    else:
        fam = socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM, 0)
    s.settimeout(30)
    # Python cannot build a sockaddr for an unknown family: libc can.
    sin = SockaddrIn(socket.AF_INET, socket.htons(int(port)),
                     (ctypes.c_uint8 * 4)(*socket.inet_aton(addr)))
    libc = ctypes.CDLL(None, use_errno=True)
    s.setblocking(True)
    if libc.connect(s.fileno(), ctypes.byref(sin), ctypes.sizeof(sin)):
        print("connect: errno %d" % ctypes.get_errno())
        return 1
    s.settimeout(30)
    if case == "rto_ack":
        s.sendall(b"r" * (3 * 88))
    if case == "tw_burst":
        # Close first, so that this end holds the TIME_WAIT.
        time.sleep(0.3)
        s.close()
        return 0
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass	# the peer's RST, or the timeout
    return 0


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "peer":
        return peer_main(*sys.argv[2:])
    if len(sys.argv) == 6 and sys.argv[1] == "client":
        return client_main(*sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
