#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A client that tries to hold an HTTP endpoint's connection slots.

    trickle.py HOST PORT N SECONDS

Opens N connections and on each sends a request line, then one header line
a second, never the blank line that ends the head, for SECONDS. Prints one
line: "opened=A refused=B held=H closed_by_server=C" (refused: the connect
or the first send failed; held: still open a second after opening, i.e. not
turned away at once; closed: the server ended a connection before SECONDS).
"""

import socket
import sys
import time


def closed_by_peer(s):
    """True when the server has ended the connection (no wait)."""
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


def main():
    host, port, n, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    socks, refused = [], 0
    for _ in range(n):
        try:
            s = socket.create_connection((host, port), timeout=2)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        except OSError:
            refused += 1
    closed = set()
    time.sleep(1)
    for i, s in enumerate(socks):
        if closed_by_peer(s):
            closed.add(i)
    held = len(socks) - len(closed)
    end = time.time() + seconds
    while time.time() < end:
        time.sleep(1)
        for i, s in enumerate(socks):
            if i in closed:
                continue
            try:
                s.sendall(b"X-Trickle: 1\r\n")
                if closed_by_peer(s):
                    closed.add(i)
            except OSError:
                closed.add(i)
    print(f"opened={len(socks)} refused={refused} held={held} closed_by_server={len(closed)}")


if __name__ == "__main__":
    main()
