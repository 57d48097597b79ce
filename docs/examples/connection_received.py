#!/usr/bin/env python3
# The "Connection received" server of the seeds, written for muxd's exec
# service (or inetd, tcpserver, systemd's Accept=yes): muxd accepts the
# connection and runs this program with the connection as its standard
# input and output. The socket names come in the environment, as UCSPI
# names them.
#
#   deno task serve:exec -l tcp://127.0.0.1:7300=exec?run=python3,docs/examples/connection_received.py
#   nc -d 127.0.0.1 7300

import os
import sys

local = f"{os.environ['TCPLOCALIP']}:{os.environ['TCPLOCALPORT']}"
remote = f"{os.environ['TCPREMOTEIP']}:{os.environ['TCPREMOTEPORT']}"
print("Connection received", flush=True)
print(f"local: {local}", flush=True)
print(f"remote: {remote}", flush=True)
# To muxd's log, as one line tagged with the connection.
print(f"served {remote} on {local}", file=sys.stderr, flush=True)
