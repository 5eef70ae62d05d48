#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""A server that ends HTTP/2 connections with GOAWAY, and its client (python3-h2).

    h2_goaway.py server PORT
        Prior-knowledge h2c. On each connection it waits for the client's
        requests, answers the first ANSWERED streams with 200, then sends
        GOAWAY(last_stream_id = the last answered one, NO_ERROR) and closes:
        every later stream was refused, not processed (RFC 9113 6.8).
    h2_goaway.py client HOST PORT N
        Opens one connection, sends N GET requests at once, and prints
        "answered=A refused=R": responses seen, and streams above the
        GOAWAY's last stream id.
    h2_goaway.py later HOST PORT N FILE
        Against any h2c server: one connection, one GET /a answered, then
        waits for FILE to exist (the test starts the agent meanwhile), sends
        N more GETs one at a time on the same connection and prints
        "answered=A" for those N.
"""
import os
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events

ANSWERED = 2


def serve(port):
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("0.0.0.0", port))
    lsock.listen(16)
    while True:
        sock, _ = lsock.accept()
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        streams = []
        while len(streams) < 4:
            data = sock.recv(65536)
            if not data:
                break
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.RequestReceived):
                    streams.append(ev.stream_id)
            sock.sendall(conn.data_to_send())
        for sid in streams[:ANSWERED]:
            conn.send_headers(sid, [(":status", "200"), ("content-length", "2")])
            conn.send_data(sid, b"ok", end_stream=True)
        conn.close_connection(last_stream_id=streams[ANSWERED - 1] if streams else 0)
        sock.sendall(conn.data_to_send())
        # FIN, then read until the client closes: closing with its last
        # frames unread would send an RST instead, and lose the GOAWAY.
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(5)
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass
        sock.close()


def client(host, port, n):
    sock = socket.create_connection((host, port))
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sids = []
    for _ in range(n):
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, [(":method", "GET"), (":path", "/item"), (":scheme", "http"),
                                (":authority", host)], end_stream=True)
        sids.append(sid)
    sock.sendall(conn.data_to_send())
    answered, last = 0, None
    while last is None:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                answered += 1
            elif isinstance(ev, h2.events.ConnectionTerminated):
                last = ev.last_stream_id
        if last is None:
            sock.sendall(conn.data_to_send())
    sock.close()
    refused = sum(1 for s in sids if last is not None and s > last)
    print("answered=%d refused=%d" % (answered, refused))


def get(sock, conn, host):
    """One GET /a on conn; True when its response headers came."""
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, [(":method", "GET"), (":path", "/a"), (":scheme", "http"),
                            (":authority", host)], end_stream=True)
    sock.sendall(conn.data_to_send())
    answered = ended = False
    while not ended:
        data = sock.recv(65536)
        if not data:
            break
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == sid:
                answered = True
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                ended = True
        sock.sendall(conn.data_to_send())
    return answered


def later(host, port, n, path):
    sock = socket.create_connection((host, port))
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    get(sock, conn, host)
    while not os.path.exists(path):
        time.sleep(0.05)
    answered = sum(1 for _ in range(n) if get(sock, conn, host))
    conn.close_connection()
    sock.sendall(conn.data_to_send())
    sock.close()
    print("answered=%d" % answered)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(int(sys.argv[2]))
    elif sys.argv[1] == "later":
        later(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
