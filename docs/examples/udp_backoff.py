#!/usr/bin/env python3
# The UDP client of Foundations of Python Network Programming's lesson on
# unreliability, for a server that drops requests on purpose: after each
# request it waits for the reply, and when none comes it sends the request
# again, waiting twice as long each time (exponential backoff), from 0.1 s.
# Past 2 s it gives up: the server must be down.
#
#   deno task serve -l 'udp://127.0.0.1:1060=size?drop=0.5&seed=1'
#   python3 docs/examples/udp_backoff.py 127.0.0.1 1060

import socket
import sys

MAX_BYTES = 65535
FIRST_WAIT = 0.1  # seconds
LONGEST_WAIT = 2.0

MESSAGES = [
    "Hello",
    "Is anybody there?",
    "This is another message",
    "UDP promises nothing",
    "so the client keeps trying",
]


def ask(sock, text):
    """Sends text until a reply comes; returns the reply."""
    data = text.encode("ascii")
    wait = FIRST_WAIT
    while True:
        sock.send(data)
        print(f"  sent {len(data)} bytes, waiting up to {wait} seconds for a reply")
        sock.settimeout(wait)
        try:
            return sock.recv(MAX_BYTES)
        except socket.timeout:
            wait *= 2  # wait longer for the next try
            if wait > LONGEST_WAIT:
                raise RuntimeError("no reply: I think the server is down")


def main(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # connect() makes the kernel keep only datagrams from the server.
    sock.connect((host, port))
    print(f"Client socket name is {sock.getsockname()}")
    print(f"Server socket name is {sock.getpeername()}")
    for text in MESSAGES:
        print(f"Asking {text!r}")
        reply = ask(sock, text)
        print(f"The server says {reply.decode('ascii')!r}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: udp_backoff.py HOST PORT", file=sys.stderr)
        sys.exit(2)
    try:
        main(sys.argv[1], int(sys.argv[2]))
    except RuntimeError as error:
        print(error, file=sys.stderr)
        sys.exit(1)
