#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""hostile_peer.py - a hand-driven TCP peer for hostile.sh.

  hostile_peer.py MODE PEER_ADDR DEV ARGS...

Runs in its own network namespace and speaks TCP from PEER_ADDR, an
address that no host owns: segments go out through an IPPROTO_RAW
socket, and the other side's answers are read from an AF_PACKET socket
on DEV, so no native stack answers them with a RST.  The AF_PACKET
socket asks for virtio-net headers, so a GSO packet counts as the
segments it stands for (gso_size), as a real link would carry them.

Modes (each prints one JSON object per case on stdout):

  mss-listen HOST PORT  for MSS 0, 1, 11, 12, 13 and 48, with and
                        without timestamps: connect to the echo server
                        HOST:PORT with that MSS option, send 600 bytes,
                        take the echo and ACK every segment; report the
                        payload sizes
  mss-connect PORT      answer the SYN of a client to PEER_ADDR:PORT
                        with a SYN-ACK announcing MSS 12 (with
                        timestamps if the SYN had them), read 600 bytes
                        and report the payload sizes
  persist PORT SECS     take a client's connection with a 4000-byte
                        window, ACK what came with a zero window, then
                        go silent for SECS seconds; report every segment
                        the client sent meanwhile (the zero-window
                        probes) and whether it gave up
  persist-answer PORT SECS [N]
                        as persist, but answer every probe, with a
                        window still zero, for SECS seconds or until a
                        RST; with N, the answer to the Nth probe opens
                        the window and the first segment sent then is
                        lost: report when it was sent again
  rto-ut PORT NBYTES    take a client's connection, lose its first
                        data segment twice, take it the third time, read
                        NBYTES and end with a FIN; report when the three
                        copies came
  challenge HOST PORT   an established connection to the echo server:
                        ACKs ahead of SND.NXT and far behind SND.UNA,
                        alone and in bursts; report the ACKs each drew,
                        and whether the echo still works

Needs CAP_NET_RAW.  Exits 0, or 1 with a message on stderr.
"""

import json
import os
import random
import select
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
PACKET_VNET_HDR = 15
SOL_PACKET = 263
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def options(mss=None, ts=None, wscale=None):
    """TCP options: MSS, timestamps (tsval, tsecr), window scale."""
    opt = b""
    if mss is not None:
        opt += struct.pack("!BBH", 2, 4, mss)
    if ts is not None:
        opt += struct.pack("!BBBBII", 1, 1, 8, 10, ts[0], ts[1])
    if wscale is not None:
        opt += struct.pack("!BBBB", 1, 3, 3, wscale)
    return opt


def parse_options(raw):
    out = {}
    i = 0
    while i < len(raw):
        kind = raw[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(raw) or raw[i + 1] < 2:
            break
        length = raw[i + 1]
        body = raw[i + 2:i + length]
        if kind == 2 and len(body) == 2:
            out["mss"] = struct.unpack("!H", body)[0]
        elif kind == 8 and len(body) == 8:
            out["ts"] = struct.unpack("!II", body)
        elif kind == 3 and len(body) == 1:
            out["wscale"] = body[0]
        i += length
    return out


class Seg:
    """A TCP segment from the other side, with its GSO size."""

    def __init__(self, pkt, gso_size):
        ihl = (pkt[0] & 0xF) * 4
        tot = struct.unpack("!H", pkt[2:4])[0]
        self.src = socket.inet_ntoa(pkt[12:16])
        self.dst = socket.inet_ntoa(pkt[16:20])
        tcp = pkt[ihl:tot]
        (self.sport, self.dport, self.seq, self.ack, off, self.flags,
         self.window) = struct.unpack("!HHIIBBH", tcp[:16])
        doff = (off >> 4) * 4
        self.opts = parse_options(tcp[20:doff])
        self.data = tcp[doff:]
        self.gso_size = gso_size
        self.t = time.monotonic()

    def sizes(self):
        """The payload sizes of the segments this packet stands for."""
        n = len(self.data)
        if not n:
            return []
        if not self.gso_size or n <= self.gso_size:
            return [n]
        out = [self.gso_size] * (n // self.gso_size)
        if n % self.gso_size:
            out.append(n % self.gso_size)
        return out

    def end(self):
        return (self.seq + len(self.data) + bool(self.flags & SYN) +
                bool(self.flags & FIN)) & 0xFFFFFFFF


class Wire:
    def __init__(self, me, dev):
        self.me = me
        self.me_packed = socket.inet_aton(me)
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                                socket.IPPROTO_RAW)
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                socket.htons(ETH_P_IP))
        self.rx.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
        self.rx.bind((dev, ETH_P_IP))

    def send(self, dst, sport, dport, seq, ack, flags, window=65535,
             opt=b"", data=b"", count=1):
        while len(opt) % 4:
            opt += b"\1"
        hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                          ack & 0xFFFFFFFF, (5 + len(opt) // 4) << 4, flags,
                          window, 0, 0) + opt
        tcp = hdr + data
        dst_packed = socket.inet_aton(dst)
        pseudo = struct.pack("!4s4sBBH", self.me_packed, dst_packed, 0,
                             socket.IPPROTO_TCP, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                         64, socket.IPPROTO_TCP, 0, self.me_packed,
                         dst_packed)
        for _ in range(count):
            self.tx.sendto(ip + tcp, (dst, 0))

    def recv(self, port, timeout):
        """The next segment to our PORT, or None after TIMEOUT s."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.rx], [], [], left)
            if not r:
                return None
            pkt, addr = self.rx.recvfrom(70000)
            if addr[2] == PACKET_OUTGOING or len(pkt) < 10 + 14 + 40:
                continue
            # struct virtio_net_hdr, then the Ethernet header.
            gso_type, gso_size = pkt[1], struct.unpack("<H", pkt[4:6])[0]
            pkt = pkt[10 + 14:]
            if pkt[9] != socket.IPPROTO_TCP or pkt[16:20] != self.me_packed:
                continue
            seg = Seg(pkt, gso_size if gso_type else 0)
            if seg.dport == port:
                return seg


def now_ts():
    return int(time.monotonic() * 1000) & 0xFFFFFFFF


class Conn:
    """One connection from our side: sequence state, and what came."""

    def __init__(self, wire, host, sport, dport):
        self.w, self.host, self.sport, self.dport = wire, host, sport, dport
        self.snd_nxt = random.getrandbits(32)
        self.rcv_nxt = 0
        self.ts = False
        self.ts_recent = 0
        self.got = b""
        self.sizes = []

    def opt(self):
        return options(ts=(now_ts(), self.ts_recent)) if self.ts else b""

    def send(self, flags, data=b"", window=65535, seq=None, ack=None,
             count=1):
        self.w.send(self.host, self.sport, self.dport,
                    self.snd_nxt if seq is None else seq,
                    self.rcv_nxt if ack is None else ack, flags, window,
                    self.opt(), data, count)
        if seq is None:
            self.snd_nxt = (self.snd_nxt + len(data) +
                            bool(flags & (SYN | FIN))) & 0xFFFFFFFF

    def take(self, seg, window=65535, ack=True):
        """Keep SEG's in-order data; ACK it.  False on RST."""
        if seg.flags & RST:
            return False
        if "ts" in seg.opts:
            self.ts_recent = seg.opts["ts"][0]
        if seg.seq == self.rcv_nxt and (seg.data or seg.flags & FIN):
            self.got += seg.data
            self.sizes += seg.sizes()
            self.rcv_nxt = seg.end()
        if ack and (seg.data or seg.flags & FIN):
            self.send(ACK, window=window)
        return True

    def read(self, nbytes, timeout):
        end = time.monotonic() + timeout
        while len(self.got) < nbytes and time.monotonic() < end:
            seg = self.w.recv(self.sport, end - time.monotonic())
            if seg is None or not self.take(seg):
                break
        return len(self.got) >= nbytes

    def connect(self, mss, ts, timeout=10):
        """Active open with these options; True once established."""
        self.w.send(self.host, self.sport, self.dport, self.snd_nxt, 0, SYN,
                    65535, options(mss=mss, ts=(now_ts(), 0) if ts else None))
        self.snd_nxt = (self.snd_nxt + 1) & 0xFFFFFFFF
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            seg = self.w.recv(self.sport, end - time.monotonic())
            if seg is None:
                return False
            if seg.flags & (SYN | ACK) == SYN | ACK and seg.ack == self.snd_nxt:
                self.rcv_nxt = (seg.seq + 1) & 0xFFFFFFFF
                self.ts = ts and "ts" in seg.opts
                if self.ts:
                    self.ts_recent = seg.opts["ts"][0]
                self.send(ACK)
                return True
        return False


def report(**kw):
    print(json.dumps(kw), flush=True)


def mss_listen(wire, host, port):
    payload = bytes(random.getrandbits(8) for _ in range(600))
    for ts in (False, True):
        for mss in (0, 1, 11, 12, 13, 48):
            c = Conn(wire, host, random.randint(20000, 60000), port)
            ok = c.connect(mss, ts)
            if ok:
                c.send(ACK | PSH, payload)
                ok = c.read(len(payload), 20) and c.got == payload
                c.send(RST | ACK)
            report(case="mss-listen", mss=mss, ts=ts, ok=ok, ts_agreed=c.ts,
                   bytes=len(c.got), max=max(c.sizes, default=0),
                   min=min(c.sizes, default=0), segs=len(c.sizes))


def accept(wire, port, mss, timeout=30, window=65535):
    """Wait for a SYN to PORT; answer it.  The Conn, or None."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        seg = wire.recv(port, end - time.monotonic())
        if seg is None:
            return None
        if seg.flags & (SYN | ACK) != SYN:
            continue
        c = Conn(wire, seg.src, port, seg.sport)
        c.rcv_nxt = (seg.seq + 1) & 0xFFFFFFFF
        c.ts = "ts" in seg.opts
        if c.ts:
            c.ts_recent = seg.opts["ts"][0]
        opt = options(mss=mss, ts=(now_ts(), c.ts_recent) if c.ts else None)
        wire.send(c.host, port, c.dport, c.snd_nxt, c.rcv_nxt, SYN | ACK,
                  window, opt)
        c.snd_nxt = (c.snd_nxt + 1) & 0xFFFFFFFF
        return c
    return None


def mss_connect(wire, port):
    c = accept(wire, port, 12)
    ok = c is not None and c.read(600, 20)
    if c:
        c.send(RST | ACK)
    report(case="mss-connect", ok=ok, ts_agreed=bool(c and c.ts),
           bytes=len(c.got) if c else 0,
           max=max(c.sizes, default=0) if c else 0,
           min=min(c.sizes, default=0) if c else 0)


def zero_window(wire, port):
    """Take a client's connection with a 4000-byte window, take what
    fits (until 3 s pass without data), then close the window.  The
    Conn, or None."""
    c = accept(wire, port, 1460, window=4000)
    if c is None:
        return None
    end = time.monotonic() + 20
    while len(c.got) < 4000 and time.monotonic() < end:
        seg = wire.recv(port, min(3, end - time.monotonic()))
        if seg is None or not c.take(seg, window=0, ack=False):
            break
        c.send(ACK, window=4000 - len(c.got))
    c.send(ACK, window=0)
    # For a script that waits until the client's RTT samples are taken.
    print(json.dumps({"zero_window": len(c.got)}), flush=True)
    return c


def persist(wire, port, secs):
    c = zero_window(wire, port)
    if c is None:
        report(case="persist", ok=False, why="no SYN")
        return
    silent = time.monotonic()
    probes, rst, last = [], False, silent
    end = silent + secs
    while time.monotonic() < end:
        seg = wire.recv(port, end - time.monotonic())
        if seg is None:
            break
        if seg.flags & RST:
            rst = True
            continue
        last = seg.t
        # A probe carries no data (both stacks').  Data here is a
        # retransmission of what was taken before the window closed:
        # a peer slow to ACK on a loaded host draws them, and they
        # were counted as a third probe of native's.
        if seg.data or seg.flags & (SYN | FIN):
            continue
        probes.append(round(seg.t - silent, 2))
    report(case="persist", ok=len(c.got) >= 4000, got=len(c.got),
           probes=len(probes), at=probes, rst=rst,
           quiet=round(time.monotonic() - last, 1))


def persist_answer(wire, port, secs, open_after):
    """A zero window whose probes all get an answer (a window still
    zero), for SECS seconds or until a RST.  With OPEN_AFTER, the
    answer to that probe opens the window; the first segment then sent
    is lost: report when it came again."""
    c = zero_window(wire, port)
    if c is None:
        report(case="persist-answer", ok=False, why="no SYN")
        return
    t0 = time.monotonic()
    probes, rst, opened, first, again = [], None, None, None, None
    end = t0 + secs
    while time.monotonic() < end:
        seg = wire.recv(port, end - time.monotonic())
        if seg is None:
            break
        if seg.flags & RST:
            rst = round(seg.t - t0, 2)
            break
        if opened is None:
            if not seg.data and not seg.flags & (SYN | FIN):
                probes.append(round(seg.t - t0, 2))
                # For a script that acts once a probe was answered.
                print(json.dumps({"probe": len(probes)}), flush=True)
                if open_after and len(probes) == open_after:
                    opened = seg.t
                    c.send(ACK, window=65535)
                else:
                    c.send(ACK, window=0)
            continue
        # The window is open: nothing is acknowledged from here on.
        if seg.data and seg.seq == c.rcv_nxt:
            if first is None:
                first = seg.t
            else:
                again = seg.t
                break
    if opened is not None:
        c.send(RST | ACK)
    report(case="persist-answer", ok=len(c.got) >= 4000, got=len(c.got),
           probes=len(probes), at=probes[:40], rst=rst,
           opened=opened is not None,
           first=round(first - opened, 2) if first and opened else None,
           delay=round(again - first, 2) if again and first else None)


def rto_ut(wire, port, nbytes):
    """The first data segment of a client is lost twice: take it the
    third time, read NBYTES, end with a FIN.  Report when each of the
    three copies came, and whether the client reset."""
    c = accept(wire, port, 1460)
    if c is None:
        report(case="rto-ut", ok=False, why="no SYN")
        return
    copies, rst = [], False
    end = time.monotonic() + 20
    while len(c.got) < nbytes and time.monotonic() < end:
        seg = wire.recv(port, end - time.monotonic())
        if seg is None:
            break
        if seg.flags & RST:
            rst = True
            break
        if seg.data and seg.seq == c.rcv_nxt and len(copies) < 3:
            copies.append(seg.t)
            if len(copies) < 3:
                continue
        c.take(seg)
    ok = len(c.got) >= nbytes
    if ok:
        # End it as a client expects: our FIN, then ACK theirs.
        c.send(FIN | ACK)
        end = time.monotonic() + 5
        while time.monotonic() < end:
            seg = wire.recv(port, end - time.monotonic())
            if seg is None or not c.take(seg) or seg.flags & FIN:
                break
    report(case="rto-ut", ok=ok, got=len(c.got), copies=len(copies),
           at=[round(t - copies[0], 2) for t in copies], rst=rst)


def challenge(wire, host, port, limit):
    """LIMIT: the per-socket challenge ACK interval (invalid_ratelimit)
    in seconds.  Answers are awaited for 0.8 of it and the next burst
    comes 1.4 of it after the last: on a slow guest a burst may take
    longer to send than native's 0.5 s, so the script raises it there."""
    c = Conn(wire, host, random.randint(20000, 60000), port)
    if not c.connect(1460, True):
        report(case="challenge", ok=False, why="no handshake")
        return
    c.send(ACK | PSH, b"a" * 100)
    ok = c.read(100, 20)
    # Let the last ACKs of that exchange go by before counting.
    while True:
        seg = wire.recv(c.sport, 0.5)
        if seg is None:
            break
        c.take(seg)
    # The server's SND.NXT is where its echo ended: rcv_nxt.
    snd_nxt = c.rcv_nxt

    def drew(ack, count):
        c.send(ACK, ack=ack, count=count)
        n = 0
        end = time.monotonic() + 0.8 * limit
        while True:
            seg = wire.recv(c.sport, end - time.monotonic())
            if seg is None:
                break
            if not seg.data and not seg.flags & (SYN | FIN | RST):
                n += 1
            c.take(seg, ack=False)
        time.sleep(0.6 * limit)		# past the per-socket limit
        return n

    res = {
        "ahead": drew(snd_nxt + 100000, 1),
        "old": drew(snd_nxt - 1000000, 1),
        "old_burst": drew(snd_nxt - 1000000, 20),
        "ahead_burst": drew(snd_nxt + 100000, 20),
    }
    c.got = b""
    c.send(ACK | PSH, b"b" * 100)
    flows = c.read(100, 20) and c.got == b"b" * 100
    c.send(RST | ACK)
    report(case="challenge", ok=ok, flows=flows, **res)


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 1
    mode, me, dev = sys.argv[1:4]
    args = sys.argv[4:]
    random.seed(os.getpid())
    wire = Wire(me, dev)
    if mode == "mss-listen":
        mss_listen(wire, args[0], int(args[1]))
    elif mode == "mss-connect":
        mss_connect(wire, int(args[0]))
    elif mode == "persist":
        persist(wire, int(args[0]), float(args[1]))
    elif mode == "persist-answer":
        persist_answer(wire, int(args[0]), float(args[1]),
                       int(args[2]) if len(args) > 2 else 0)
    elif mode == "rto-ut":
        rto_ut(wire, int(args[0]), int(args[1]))
    elif mode == "challenge":
        challenge(wire, args[0], int(args[1]),
                  float(args[2]) if len(args) > 2 else 0.5)
    else:
        print("hostile_peer.py: unknown mode %r" % mode, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
