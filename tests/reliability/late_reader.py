"""A client that sends a few bytes, reads 50 ms later, and reports whether a
reset arrived: after a reset in CLOSE_WAIT, Linux sets SO_ERROR to EPIPE and
poll() reports POLLERR, which is what makes OpenBSD nc drop unread data.

Usage: python3 late_reader.py PORT TRIES HALF_CLOSE(0|1)
Prints one JSON list, an object per try: bytes read, how reading ended
("eof" or "reset"), SO_ERROR after the wait, and whether poll() saw POLLERR.
"""

import json
import select
import socket
import sys
import time

port, tries, half_close = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
results = []
for _ in range(tries):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"hello\n")
    if half_close:
        sock.shutdown(socket.SHUT_WR)
    time.sleep(0.05)
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    ready = poller.poll(0)
    pollerr = bool(ready and ready[0][1] & select.POLLERR)
    so_error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    data, end = b"", "eof"
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        end = "reset"
    sock.close()
    results.append({"bytes": len(data), "end": end, "soError": so_error, "pollerr": pollerr})
print(json.dumps(results))
