#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""orphan_states.py - ktcp orphans in every closing state, for module_cycle.sh.

    orphan_states.py FAMILY PORT

On 127.0.0.1, closes ktcp connections so that one is left in each of
TIME_WAIT (ktcp closed first, then its ktcp peer), FIN_WAIT_2 (ktcp
closed, its native peer acknowledged and stays open) and LAST_ACK (the
native peer closed first, then ktcp; an nft rule drops the peer's ACK
of ktcp's FIN).  The native ends are AF_INET sockets, which do not hold
ktcp.  Prints "ready" once /proc/net/ktcp shows the three states, then
holds the native ends until stdin reaches end of file; "error: ..." and
exit 1 if a state did not come.
"""

import socket
import subprocess
import sys
import time

TCP_STATES = {"TIME_WAIT": 0x06, "FIN_WAIT2": 0x05, "LAST_ACK": 0x09}


def states_of(port):
    """The states of ktcp's sockets with local or remote port @port."""
    seen = set()
    with open("/proc/net/ktcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote, st = fields[1], fields[2], int(fields[3], 16)
            if int(local.split(":")[1], 16) == port or \
               int(remote.split(":")[1], 16) == port:
                seen.add(st)
    return seen


def wait_states(ports, timeout=30):
    """True once every (port, state) of @ports shows in /proc/net/ktcp."""
    end = time.time() + timeout
    while time.time() < end:
        if all(st in states_of(p) for p, st in ports):
            return True
        time.sleep(0.1)
    return False


def listener(family, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(4)
    return s


def main():
    ktcp, port = int(sys.argv[1]), int(sys.argv[2])
    held = []

    # TIME_WAIT: a ktcp pair, the client closes first.
    lst = listener(ktcp, port)
    cli = socket.socket(ktcp, socket.SOCK_STREAM)
    cli.connect(("127.0.0.1", port))
    srv, _ = lst.accept()
    cli.close()
    time.sleep(0.2)
    srv.close()
    lst.close()

    # FIN_WAIT_2: a ktcp client of a native server that never closes.
    nat = listener(socket.AF_INET, port + 1)
    cli = socket.socket(ktcp, socket.SOCK_STREAM)
    cli.connect(("127.0.0.1", port + 1))
    peer, _ = nat.accept()
    held += [nat, peer]
    cli.close()

    # LAST_ACK: a ktcp server whose native client closed first; then
    # the client's ACK of ktcp's FIN is dropped.
    lst = listener(ktcp, port + 2)
    nc = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    nc.connect(("127.0.0.1", port + 2))
    srv, _ = lst.accept()
    lst.close()
    nc.shutdown(socket.SHUT_WR)
    held.append(nc)
    if srv.recv(1) != b"":
        print("error: no FIN from the native client", flush=True)
        return 1
    subprocess.run(["nft", "add table inet ktcp_orphans; "
                    "add chain inet ktcp_orphans in "
                    "{ type filter hook input priority 0; }; "
                    "add rule inet ktcp_orphans in tcp dport %d "
                    "tcp flags == ack drop" % (port + 2)], check=True)
    srv.close()

    want = [(port, TCP_STATES["TIME_WAIT"]),
            (port + 1, TCP_STATES["FIN_WAIT2"]),
            (port + 2, TCP_STATES["LAST_ACK"])]
    if not wait_states(want):
        print("error: states seen %s" %
              [sorted(states_of(p)) for p, _ in want], flush=True)
        return 1
    print("ready", flush=True)
    sys.stdin.read()
    subprocess.run(["nft", "delete table inet ktcp_orphans"], check=False)
    for s in held:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
