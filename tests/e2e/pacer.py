#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Requests at a steady rate the test can change, for rate_change events.

    pacer.py HOST PORT RATE_FILE

GETs / on one keep-alive connection, RATE requests a second, evenly spaced,
where RATE is read from RATE_FILE (a number) every 200 ms; 0 pauses, and a
missing file ends the run. Prints the number of requests made on exit.
"""

import http.client
import os
import sys
import time


def read_rate(path):
    try:
        with open(path) as f:
            return float(f.read().strip() or 0)
    except FileNotFoundError:
        return None


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    made = 0
    next_at = time.monotonic()
    rate, checked = read_rate(path), 0.0
    while rate is not None:
        now = time.monotonic()
        if now - checked >= 0.2:
            rate, checked = read_rate(path), now
            continue
        if not rate:
            time.sleep(0.05)
            next_at = time.monotonic()
            continue
        if now < next_at:
            time.sleep(min(next_at - now, 0.05))
            continue
        conn.request("GET", "/")
        conn.getresponse().read()
        made += 1
        next_at += 1.0 / rate
        if next_at < now - 1:
            next_at = now  # fell behind by a second: do not burst to catch up
    print(made)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
