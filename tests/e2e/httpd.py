#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""HTTP/1.1 keep-alive test server for the meshsight end-to-end tests.

Every response carries Content-Length, so a connection stays open between
requests (and pipelined requests are answered in order) unless the client
asks otherwise; that is what lets the tests know exactly how many TCP
connections and HTTP requests the agent should have seen.

    httpd.py PORT [BIND_ADDRESS]

Paths (GET, HEAD, POST; a POST body is read and discarded):
    /              200 "ok"
    /status/NNN    answers NNN (200..599)
    /delay/MS      sleeps MS milliseconds, then 200
    /bytes/N       200 with N bytes of body
    /set-cookie    200 with "Set-Cookie: sid=S3cretSetCookie" (a secret the
                   agent must never copy)
    anything else  404

With MS_HTTPD_PACE_MS=N in the environment the server sends each write at
once (TCP_NODELAY) and pauses N ms after each response, so that pipelined
responses leave in segments of their own, each within the agent's capture
limit (Linux otherwise merges writes queued behind one another).

A request line cut short by the peer closing (no trailing newline) gets no
answer at all, so a half-sent request stays a request without a response.
"""

import http.server
import os
import signal
import sys
import time

BYTES_MAX = 1 << 30
CHUNK = 64 * 1024


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    pace_s = int(os.environ.get("MS_HTTPD_PACE_MS") or 0) / 1000.0
    disable_nagle_algorithm = pace_s > 0

    def version_string(self):
        return "meshsight-e2e-httpd"

    def log_message(self, format, *args):  # noqa: A002 (stdlib signature)
        pass

    def parse_request(self):
        if not self.raw_requestline.endswith(b"\n"):
            self.close_connection = True
            return False
        return super().parse_request()

    def _drain_body(self):
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            got = self.rfile.read(min(length, CHUNK))
            if not got:
                self.close_connection = True
                return
            length -= len(got)

    def _route(self):
        """Returns (status, body): the body bytes, or a length of filler."""
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        try:
            if parts in ([""], ["set-cookie"]):
                return 200, b"ok"
            if len(parts) == 2 and parts[0] == "status":
                code = int(parts[1])
                if 200 <= code <= 599:
                    return code, b"" if code in (204, 304) else b"status %d\n" % code
                return 400, b"status must be 200..599\n"
            if len(parts) == 2 and parts[0] == "delay":
                time.sleep(int(parts[1]) / 1000.0)
                return 200, b"ok"
            if len(parts) == 2 and parts[0] == "bytes":
                n = int(parts[1])
                if 0 <= n <= BYTES_MAX:
                    return 200, n
                return 400, b"bytes must be 0..2^30\n"
        except ValueError:
            return 400, b"bad number\n"
        return 404, b"not found\n"

    def _respond(self, with_body):
        status, body = self._route()
        length = body if isinstance(body, int) else len(body)
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        if self.path.split("?", 1)[0] == "/set-cookie":
            self.send_header("Set-Cookie", "sid=S3cretSetCookie; HttpOnly")
        if status not in (204, 304):
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if not with_body or status in (204, 304):
            return
        if isinstance(body, bytes):
            self.wfile.write(body)
            return
        block = b"x" * CHUNK
        while length > 0:
            self.wfile.write(block[: min(length, CHUNK)])
            length -= CHUNK

    def do_GET(self):
        self._respond(True)
        if self.pace_s:
            self.wfile.flush()
            time.sleep(self.pace_s)

    def do_HEAD(self):
        self._respond(False)

    def do_POST(self):
        self._drain_body()
        self._respond(True)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        # Peers that reset or vanish mid-request are part of the tests.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: httpd.py PORT [BIND_ADDRESS]")
    port = int(sys.argv[1])
    bind = sys.argv[2] if len(sys.argv) == 3 else "0.0.0.0"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with Server((bind, port), Handler) as srv:
        print(f"httpd listening on {bind}:{port}", file=sys.stderr, flush=True)
        try:
            srv.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
