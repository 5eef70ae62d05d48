#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Many edges quickly, for the scrape benchmark (tools/bench-scrape.sh).

    fanout.py serve PORT0 NPORTS
        An HTTP/1.1 server on NPORTS consecutive ports: every request gets
        "200 ok" and the connection is closed.
    fanout.py call HOST PORT0 NPORTS PREFIX FIRST COUNT
        From each source address PREFIX.FIRST .. PREFIX.(FIRST+COUNT-1), one
        request to each port: COUNT * NPORTS connections, so as many edges.
        Prints "connections=N failures=F seconds=S".
"""

import selectors
import socket
import sys
import time

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


def serve(port0, nports):
    sel = selectors.DefaultSelector()
    for p in range(port0, port0 + nports):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", p))
        s.listen(1024)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                try:
                    c, _ = key.fileobj.accept()
                except BlockingIOError:
                    continue
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, b"")
                continue
            c = key.fileobj
            try:
                data = c.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            buf = key.data + data
            if data and b"\r\n\r\n" not in buf:
                sel.modify(c, selectors.EVENT_READ, buf)
                continue
            sel.unregister(c)
            try:
                if data:
                    c.setblocking(True)
                    c.sendall(RESPONSE)
            except OSError:
                pass
            c.close()


def call(host, port0, nports, prefix, first, count):
    t0, n, failures = time.time(), 0, 0
    for a in range(first, first + count):
        src = f"{prefix}.{a}"
        for p in range(port0, port0 + nports):
            n += 1
            try:
                s = socket.socket()
                s.settimeout(5)
                s.bind((src, 0))
                s.connect((host, p))
                s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
                while s.recv(4096):
                    pass
                s.close()
            except OSError:
                failures += 1
    print(f"connections={n} failures={failures} seconds={time.time() - t0:.1f}")


def main():
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), int(sys.argv[3]))
    else:
        call(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6]),
             int(sys.argv[7]))


if __name__ == "__main__":
    main()
