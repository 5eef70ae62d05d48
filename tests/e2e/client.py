#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Raw-socket HTTP/1.1 client for the meshsight end-to-end tests.

curl cannot pipeline, split a request line across segments or reset a
connection on purpose; these are the traffic shapes a socket-level parser
gets wrong, so this client makes them on demand:

    client.py pipeline  HOST PORT N PATH    N GETs in one sendall, N responses read
    client.py split     HOST PORT PATH      one GET in 3 sends 50 ms apart (TCP_NODELAY)
    client.py garbage   HOST PORT           200 non-HTTP bytes, then close
    client.py halfopen  HOST PORT [SECONDS] "GET /delay/0 HT", held SECONDS (2), closed
    client.py reset     HOST PORT [PATH]    GET PATH (/delay/500), RST before the answer
    client.py keepalive HOST PORT N PATH    N sequential GETs on one connection

Each prints the response status codes on stdout, space-separated, one line
("" when none are expected) and on stderr a line "sent=B received=B" with
the application bytes written and read, for exact byte-count checks.
Exit status 0, or 1 on a protocol or socket error.
"""

import random
import socket
import struct
import sys
import time

TIMEOUT_S = 10


class Conn:
    def __init__(self, host, port, nodelay=False):
        self.sock = socket.create_connection((host, int(port)), timeout=TIMEOUT_S)
        if nodelay:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.host = host
        self.buf = b""
        self.sent = 0
        self.received = 0

    def send(self, data):
        self.sock.sendall(data)
        self.sent += len(data)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed by the server")
        self.received += len(data)
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, head=False):
        """Reads one response (Content-Length or chunked); returns its status."""
        status = int(self._line().split(b" ", 2)[1])
        headers = {}
        while True:
            line = self._line()
            if not line:
                break
            k, _, v = line.partition(b":")
            headers[k.strip().lower()] = v.strip()
        if head or status in (204, 304) or 100 <= status < 200:
            return status
        if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                self._take(size + 2)
        elif b"content-length" in headers:
            self._take(int(headers[b"content-length"]))
        else:
            raise ConnectionError("response without Content-Length or chunking")
        return status

    def close(self):
        self.sock.close()


def request(host, path):
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: meshsight-e2e\r\n\r\n".encode()


def cmd_pipeline(host, port, n, path):
    c = Conn(host, port)
    c.send(request(host, path) * int(n))
    statuses = [c.read_response() for _ in range(int(n))]
    c.close()
    return c, statuses


def cmd_split(host, port, path):
    c = Conn(host, port, nodelay=True)
    req = request(host, path)
    cut1, cut2 = 6, len(req) // 2  # inside the request line, then inside the headers
    for i, piece in enumerate((req[:cut1], req[cut1:cut2], req[cut2:])):
        if i:
            time.sleep(0.05)
        c.send(piece)
    statuses = [c.read_response()]
    c.close()
    return c, statuses


def cmd_garbage(host, port):
    # Starts like a TLS ClientHello, then deterministic noise: not HTTP.
    rnd = random.Random(0x6D657368)
    data = b"\x16\x03\x01\x00\xc4\x01" + bytes(rnd.randrange(256) for _ in range(194))
    c = Conn(host, port)
    c.send(data)
    c.close()
    return c, []


def cmd_halfopen(host, port, seconds="2"):
    c = Conn(host, port)
    c.send(b"GET /delay/0 HT")
    time.sleep(float(seconds))
    c.close()
    return c, []


def cmd_reset(host, port, path="/delay/500"):
    c = Conn(host, port, nodelay=True)
    c.send(request(host, path))
    time.sleep(0.1)  # the server has the request and is busy with it
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()  # linger 0: RST instead of FIN
    return c, []


def cmd_keepalive(host, port, n, path):
    c = Conn(host, port)
    statuses = []
    for _ in range(int(n)):
        c.send(request(host, path))
        statuses.append(c.read_response())
    c.close()
    return c, statuses


COMMANDS = {
    "pipeline": (cmd_pipeline, 4, 4),
    "split": (cmd_split, 3, 3),
    "garbage": (cmd_garbage, 2, 2),
    "halfopen": (cmd_halfopen, 2, 3),
    "reset": (cmd_reset, 2, 3),
    "keepalive": (cmd_keepalive, 4, 4),
}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    fn, lo, hi = COMMANDS[sys.argv[1]]
    args = sys.argv[2:]
    if not lo <= len(args) <= hi:
        sys.exit(f"{sys.argv[1]}: wrong number of arguments\n{__doc__}")
    try:
        c, statuses = fn(*args)
    except (OSError, ValueError, IndexError) as e:
        print(f"client.py {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    print(" ".join(str(s) for s in statuses))
    print(f"sent={c.sent} received={c.received}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
