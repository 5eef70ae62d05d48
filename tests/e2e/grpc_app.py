#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""A gRPC server and client with no generated code (python3-grpcio generic
handlers, raw bytes as messages), for the HTTP/2 end-to-end test.

  grpc_app.py server PORT
  grpc_app.py client HOST PORT PLAN...

Server methods of service demo.Echo: Ok (echoes), Fail (aborts NOT_FOUND
before any message: a trailers-only response), Unavailable (status 14 after
handling), Slow (sleeps 3 s; for client deadlines, which reset the stream).

A PLAN item is METHOD:N[:OPTS] and runs N calls at once on one channel
(one connection); OPTS: "pad" sends a distinct 1500-byte metadata value per
call (churns the HPACK dynamic table), "big" one 20000-byte value (a header
block over HEADERS + CONTINUATION), "deadline" a 0.3 s deadline (the
server answers DEADLINE_EXCEEDED itself), "cancel" cancels the calls after
0.3 s (the client resets the streams). "pad" and
"big" calls run one after the other, so that each request is its own
segment rather than 30 of them in one 64 KB write. Prints the
status codes the calls ended with, "CODE=COUNT" sorted, one line per item.
"""
import sys
import time
from concurrent import futures

import grpc

SERVICE = "demo.Echo"
OPTIONS = [("grpc.enable_http_proxy", 0), ("grpc.max_metadata_size", 1 << 20),
           ("grpc.max_receive_message_length", 1 << 20)]


def ok(request, context):
    return request


def fail(request, context):
    context.abort(grpc.StatusCode.NOT_FOUND, "no such item")


def unavailable(request, context):
    context.set_code(grpc.StatusCode.UNAVAILABLE)
    context.set_details("try later")
    return b""


def slow(request, context):
    time.sleep(3)
    return request


def serve(port):
    handlers = {name: grpc.unary_unary_rpc_method_handler(fn) for name, fn in
                (("Ok", ok), ("Fail", fail), ("Unavailable", unavailable), ("Slow", slow))}
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32), options=OPTIONS)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    server.add_insecure_port("0.0.0.0:%d" % port)
    server.start()
    server.wait_for_termination()


def run_item(host, port, item):
    parts = item.split(":")
    method, n, opts = parts[0], int(parts[1]), set(parts[2:])
    with grpc.insecure_channel("%s:%d" % (host, port), options=OPTIONS) as channel:
        call = channel.unary_unary("/%s/%s" % (SERVICE, method))
        pending = []
        for i in range(n):
            md = []
            if "pad" in opts:
                md.append(("x-pad", ("%06d" % i) * 250))
            if "big" in opts:
                md.append(("x-big", "b" * 20000))
            timeout = 0.3 if "deadline" in opts else 10
            pending.append(call.future(b"hello", timeout=timeout, metadata=md))
            if "pad" in opts or "big" in opts:
                pending[-1].exception()  # one at a time: one request per segment
        if "cancel" in opts:
            time.sleep(0.3)
            for f in pending:
                f.cancel()  # RST_STREAM(CANCEL) from the client
        codes = {}
        for f in pending:
            try:
                f.result()
                code = grpc.StatusCode.OK
            except grpc.FutureCancelledError:
                code = grpc.StatusCode.CANCELLED
            except grpc.RpcError as e:
                code = e.code()
            codes[code.value[0]] = codes.get(code.value[0], 0) + 1
    print(" ".join("%d=%d" % kv for kv in sorted(codes.items())), flush=True)


def main():
    if sys.argv[1] == "server":
        serve(int(sys.argv[2]))
    else:
        for item in sys.argv[4:]:
            run_item(sys.argv[2], int(sys.argv[3]), item)


if __name__ == "__main__":
    main()
