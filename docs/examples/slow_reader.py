#!/usr/bin/env python3
"""A TCP client that does not read for a second, then reads to the end.

The lesson of docs/faults.md on what a reset does to data in flight: against
a listener that closes after 1 MiB (close-after=1MiB) it reads every byte and
then the end of stream; against one that resets after 1 MiB (reset-after=1MiB)
the reset throws away what was still on its way, and the read fails.

    python3 docs/examples/slow_reader.py 127.0.0.1 7820
"""

import socket
import sys
import time


def main(host, port):
    sock = socket.create_connection((host, port))
    time.sleep(1)  # not reading while the server sends and ends the connection
    got = 0
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                print("end of stream after", got, "bytes")
                break
            got += len(chunk)
    except OSError as e:
        print(e, "after", got, "bytes")
    finally:
        sock.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: slow_reader.py HOST PORT")
    main(sys.argv[1], int(sys.argv[2]))
