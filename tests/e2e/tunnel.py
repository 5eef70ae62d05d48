#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A stand-in for a mesh's node proxy (Istio ambient's ztunnel), for tests.

  tunnel.py outbound LISTEN_PORT PEER_HOST PEER_PORT CA_FILE
      accepts plaintext (traffic redirected to it by nftables in the client
      pod) and carries each connection over TLS to PEER_HOST:PEER_PORT;
  tunnel.py inbound LISTEN_PORT APP_HOST APP_PORT CERT KEY
      terminates that TLS and hands the plaintext to the application.

Between the pods only TLS on the tunnel port crosses the wire, so only the
application's own sockets ever see HTTP.
"""
import socket
import ssl
import sys
import threading


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (dst, src):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(port, handle):
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("0.0.0.0", port))
    lsock.listen(64)
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def splice(a, b):
    t = threading.Thread(target=pipe, args=(a, b), daemon=True)
    t.start()
    pipe(b, a)
    t.join(5)
    a.close()
    b.close()


def outbound(port, peer_host, peer_port, ca_file):
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.check_hostname = False

    def handle(conn):
        raw = socket.create_connection((peer_host, peer_port))
        splice(conn, ctx.wrap_socket(raw))

    serve(port, handle)


def inbound(port, app_host, app_port, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    def handle(conn):
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()
            return
        splice(tls, socket.create_connection((app_host, app_port)))

    serve(port, handle)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "outbound":
        outbound(int(args[0]), args[1], int(args[2]), args[3])
    elif mode == "inbound":
        inbound(int(args[0]), args[1], int(args[2]), args[3], args[4])
    else:
        sys.exit("usage: tunnel.py outbound|inbound ...")
