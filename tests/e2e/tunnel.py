#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A stand-in for a mesh's node proxy (Istio ambient's ztunnel), for tests.

  tunnel.py outbound LISTEN_PORT PEER_PORT CA_FILE
      accepts plaintext that nftables in the client pod redirected to it,
      learns where the application meant to go (SO_ORIGINAL_DST), and carries
      the connection over TLS to PEER_PORT on that same address;
  tunnel.py inbound LISTEN_PORT CERT KEY [MARK]
      terminates that TLS and connects to the application's original
      destination from the client's own address and port (IP_TRANSPARENT),
      as ztunnel does, so the application sees the real client as its peer.
      MARK (default 0x539) goes on that socket (SO_MARK) so that the pod's
      netfilter can route the application's replies back to this process.

The first line inside the TLS session says who connected to whom, like the
CONNECT request and Forwarded header of Istio's HBONE:
  "CONNECT <dst_ip>:<dst_port> FROM <src_ip>:<src_port>\\n".
Between the pods only TLS on the tunnel port crosses the wire, so only the
application's own sockets ever see HTTP.
"""
import select
import socket
import ssl
import struct
import sys
import threading

SO_ORIGINAL_DST = 80  # linux/netfilter_ipv4.h, level SOL_IP
IP_TRANSPARENT = 19  # linux/in.h, level SOL_IP
SO_MARK = 36  # asm-generic/socket.h, level SOL_SOCKET
HEADER_MAX = 128
RELAY_MAX = 1 << 20  # per direction, so a stalled reader bounds memory
RELAY_IDLE_S = 60


def log(msg):
    print(f"tunnel: {msg}", file=sys.stderr, flush=True)


def serve(port, handle):
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("0.0.0.0", port))
    lsock.listen(64)
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def splice(a, b):
    """Relays both directions of a connection from this one thread.

    An OpenSSL connection must not be used by two threads at once: a reader
    thread handling a post-handshake message (a TLS 1.3 session ticket)
    while a writer thread sends wedges both, so one non-blocking loop drives
    both directions. When either side ends, what it sent is delivered and
    both are closed, as the application protocols here (HTTP/1.1) need.
    """
    peer = {a: b, b: a}
    queued = {a: b"", b: b""}  # bytes waiting to be written to each socket
    for s in (a, b):
        s.setblocking(False)
    ended = None
    try:
        while ended is None or queued[peer[ended]]:
            readers = [s for s in (a, b) if ended is None and len(queued[peer[s]]) < RELAY_MAX]
            writers = [s for s in (a, b) if queued[s]]
            # Bytes OpenSSL already decrypted are invisible to select().
            rd = [s for s in readers if isinstance(s, ssl.SSLSocket) and s.pending()]
            wr = []
            if not rd:
                rd, wr, _ = select.select(readers, writers, [], RELAY_IDLE_S)
                if not rd and not wr:
                    log("relay idle too long, closing")
                    return
            for s in rd:
                try:
                    data = s.recv(65536)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    continue
                except OSError:
                    data = b""
                if data:
                    queued[peer[s]] += data
                else:
                    ended = s
            for s in wr:
                try:
                    queued[s] = queued[s][s.send(queued[s]):]
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    continue
    except OSError as e:
        log(f"relay failed: {e}")
    finally:
        a.close()
        b.close()


def original_dst(conn):
    raw = conn.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    port, addr = struct.unpack_from("!2xH4s", raw)
    return socket.inet_ntoa(addr), port


def outbound(port, peer_port, ca_file):
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.check_hostname = False

    def handle(conn):
        dst_ip, dst_port = original_dst(conn)
        src_ip, src_port = conn.getpeername()
        tls = ctx.wrap_socket(socket.create_connection((dst_ip, peer_port)))
        tls.sendall(f"CONNECT {dst_ip}:{dst_port} FROM {src_ip}:{src_port}\n".encode())
        log(f"outbound {src_ip}:{src_port} -> {dst_ip}:{dst_port} via :{peer_port}")
        splice(conn, tls)

    serve(port, handle)


def read_header(tls):
    line = b""
    while not line.endswith(b"\n"):
        c = tls.recv(1)
        if not c or len(line) >= HEADER_MAX:
            raise ValueError(f"bad tunnel header {line!r}")
        line += c
    verb, dst, word, src = line.decode().split()
    if verb != "CONNECT" or word != "FROM":
        raise ValueError(f"bad tunnel header {line!r}")
    host, port = dst.rsplit(":", 1)
    shost, sport = src.rsplit(":", 1)
    return (host, int(port)), (shost, int(sport))


def spoofed_connect(dst, src, mark):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
        s.setsockopt(socket.SOL_SOCKET, SO_MARK, mark)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(src)
        s.connect(dst)
    except OSError:
        s.close()
        raise
    return s


def inbound(port, cert, key, mark):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    def handle(conn):
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
            dst, src = read_header(tls)
            app = spoofed_connect(dst, src, mark)
            log(f"inbound {src[0]}:{src[1]} -> {dst[0]}:{dst[1]} spoofed")
        except (ssl.SSLError, OSError, ValueError) as e:
            log(f"inbound failed: {e}")
            conn.close()
            return
        splice(tls, app)

    serve(port, handle)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "outbound" and len(args) == 3:
        outbound(int(args[0]), int(args[1]), args[2])
    elif mode == "inbound" and len(args) in (3, 4):
        inbound(int(args[0]), args[1], args[2], int(args[3], 0) if len(args) == 4 else 0x539)
    else:
        sys.exit("usage: tunnel.py outbound LISTEN_PORT PEER_PORT CA_FILE | "
                 "inbound LISTEN_PORT CERT KEY [MARK]")
