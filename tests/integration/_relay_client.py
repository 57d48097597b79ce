# A client for tests/integration/forward_netns_test.ts, run inside a network
# namespace where the test cannot connect itself.
#
#   tcp HOST PORT: sends stdin, half-closes, writes what comes back to stdout.
#   tcp-read-first HOST PORT: reads to the server's end of stream first and
#     writes it to stdout, then sends stdin on the still open side and
#     half-closes, and ends when the server closes.
#   udp HOST PORT SIZE...: from one connected socket, sends one datagram of
#     each size (every byte from a seed, so no two are alike), then waits for
#     as many replies; prints one JSON line with the SHA-256 and length of
#     each datagram sent and each received, in order.
import hashlib
import json
import random
import socket
import sys

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])

if mode == "tcp":
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(sys.stdin.buffer.read())
    s.shutdown(socket.SHUT_WR)
    while chunk := s.recv(65536):
        sys.stdout.buffer.write(chunk)
    s.close()
elif mode == "tcp-read-first":
    s = socket.create_connection((host, port), timeout=10)
    while chunk := s.recv(65536):
        sys.stdout.buffer.write(chunk)
    s.sendall(sys.stdin.buffer.read())
    s.shutdown(socket.SHUT_WR)
    if s.recv(65536) != b"":
        sys.exit("bytes after the end of stream")
    s.close()
else:
    sizes = [int(size) for size in sys.argv[4:]]
    rng = random.Random(1060)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    s.settimeout(10)
    s.connect((host, port))
    sent, back = [], []
    for size in sizes:
        data = rng.randbytes(size)
        s.send(data)
        sent.append({"size": size, "sha256": hashlib.sha256(data).hexdigest()})
    try:
        for _ in sizes:
            data = s.recv(65535)
            back.append({"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    except socket.timeout:
        pass
    print(json.dumps({"sent": sent, "back": back}))
