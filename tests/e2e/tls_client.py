#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
#
# HTTPS client on Python's ssl module (OpenSSL underneath): one keep-alive
# connection, the given paths in order; prints each status code, one a line.
# The certificate is the test's own self-signed one, so it is not verified.
#
#   tls_client.py HOST PORT PATH...
import http.client
import ssl
import sys


def main():
    host, port, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=10)
    for path in paths:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        print(resp.status)
    conn.close()


if __name__ == "__main__":
    main()
