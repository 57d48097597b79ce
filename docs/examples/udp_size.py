#!/usr/bin/env python3
# The UDP server of Foundations of Python Network Programming ("Your data
# was N bytes long"), written for muxd's exec service: muxd receives the
# datagram and runs this program once per datagram, the datagram as its
# standard input; what it prints is the one reply. The socket names come in
# the environment (PROTO=UDP, UDPLOCALIP, UDPREMOTEPORT, ...).
#
#   deno task serve:exec -l udp://127.0.0.1:7301=exec?run=python3,docs/examples/udp_size.py
#   echo hello | nc -u -w1 127.0.0.1 7301

import os
import sys

data = sys.stdin.buffer.read()
remote = f"{os.environ['UDPREMOTEIP']}:{os.environ['UDPREMOTEPORT']}"
local = f"{os.environ['UDPLOCALIP']}:{os.environ['UDPLOCALPORT']}"
print(f"Your data was {len(data)} bytes long")
print(f"The client at {remote} says {data!r}", file=sys.stderr)
print(f"(answered from {local})")
