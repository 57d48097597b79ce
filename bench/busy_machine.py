#!/usr/bin/env python3
"""A busy machine on demand: heavy, bounded load on loopback, beside a command.

Usage: python3 bench/busy_machine.py SECONDS [--heavy] [--no-udp] [--no-tcp] [--no-cpu] [-- COMMAND...]

Starts a muxd of its own (UDP discard and echo, TCP echo and discard, all on
port 0, on 127.0.0.1), then, for SECONDS at most (1800 at most):
  - 2 UDP flooders (512 B to discard, 64 B to echo, never reading replies),
  - 2 TCP connection storms (one closes with FIN, one resets),
  - 2 CPU burners;
--heavy adds a third flooder (1400 B) and 400 concurrent connections, half
of them closed and replaced every 50 ms (their ports go to TIME_WAIT).

With `-- COMMAND...` the load runs while the command does and stops when it
ends; the exit code is the command's. For example, on a 2-core machine:

  python3 bench/busy_machine.py 900 --heavy -- deno task test

Traffic goes only to the muxd this script started, on loopback; it kills
only the processes it started.
"""

import json
import multiprocessing as mp
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_SECONDS = 1800
# The serve task's permissions (deno.json), so the target runs as `deno task serve` does.
SERVE = ["deno", "run", "--allow-net", "--allow-read", "--allow-write",
         "--allow-env=NO_COLOR,FORCE_COLOR,TERM,COLUMNS", "--allow-sys=networkInterfaces,uid",
         "--allow-run=sysctl,ss,prlimit", os.path.join(ROOT, "main.ts"), "serve"]


def udp_flood(port, deadline, size):
    """Sends datagrams of `size` bytes as fast as the socket takes them."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    payload = b"x" * size
    sent = 0
    while time.time() < deadline:
        for _ in range(1000):
            try:
                s.sendto(payload, ("127.0.0.1", port))
                sent += 1
            except OSError:
                pass  # the send buffer is full: try again
    print(f"busy: udp flood of {size} B to {port}: {sent} datagrams", flush=True)


def tcp_storm(port, deadline, reset):
    """Opens, uses and closes one connection after another (a reset, or a FIN after the reply)."""
    made = errors = 0
    while time.time() < deadline:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            s.sendall(b"hello\n")
            if reset:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                s.recv(16)
            s.close()
            made += 1
        except OSError:
            errors += 1
            time.sleep(0.001)
    how = "RST" if reset else "FIN"
    print(f"busy: tcp storm ({how}) to {port}: {made} connections, {errors} errors", flush=True)


def tcp_hold(port, deadline, width):
    """Keeps `width` connections open, closing and replacing the older half every 50 ms."""
    made = errors = 0
    held = []
    while time.time() < deadline:
        while len(held) < width:
            try:
                s = socket.socket()
                s.setblocking(False)
                try:
                    s.connect(("127.0.0.1", port))
                except BlockingIOError:
                    pass
                held.append(s)
                made += 1
            except OSError:
                errors += 1
                time.sleep(0.01)
                break
        time.sleep(0.05)
        for s in held[: width // 2]:
            s.close()
        held = held[width // 2:]
    for s in held:
        s.close()
    print(f"busy: {width} connections held to {port}: {made} in all, {errors} errors", flush=True)


def burn(deadline):
    """Keeps one core busy."""
    x = 0
    while time.time() < deadline:
        for i in range(100_000):
            x += i


def main():
    argv = sys.argv[1:]
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    options = argv[: argv.index("--")] if "--" in argv else argv
    if not options or not options[0].replace(".", "", 1).isdigit():
        sys.exit(__doc__)
    seconds = min(float(options[0]), MAX_SECONDS)
    flags = set(options[1:])
    deadline = time.time() + seconds
    ready = os.path.join(tempfile.mkdtemp(prefix="muxd-busy-"), "ready.json")
    target = subprocess.Popen(
        SERVE + ["-l", "udp://127.0.0.1:0=discard", "-l", "udp://127.0.0.1:0=echo",
                 "-l", "tcp://127.0.0.1:0=echo", "-l", "tcp://127.0.0.1:0=discard",
                 "--log-level", "error", "--ready-file", ready],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})
    jobs = []
    child = None
    code = 0
    try:
        started = time.time()
        while not os.path.exists(ready):
            if time.time() - started > 30 or target.poll() is not None:
                sys.exit("busy: the target muxd did not start")
            time.sleep(0.1)
        udp_discard, udp_echo, tcp_echo, tcp_discard = (
            s["port"] for s in json.load(open(ready))["sockets"])
        print(f"busy: target muxd pid {target.pid}, load for {seconds:.0f} s at most", flush=True)
        if "--no-udp" not in flags:
            jobs += [mp.Process(target=udp_flood, args=(udp_discard, deadline, 512)),
                     mp.Process(target=udp_flood, args=(udp_echo, deadline, 64))]
        if "--no-tcp" not in flags:
            jobs += [mp.Process(target=tcp_storm, args=(tcp_echo, deadline, False)),
                     mp.Process(target=tcp_storm, args=(tcp_discard, deadline, True))]
        if "--heavy" in flags:
            jobs += [mp.Process(target=udp_flood, args=(udp_discard, deadline, 1400)),
                     mp.Process(target=tcp_hold, args=(tcp_discard, deadline, 400))]
        if "--no-cpu" not in flags:
            jobs += [mp.Process(target=burn, args=(deadline,)) for _ in range(2)]
        for job in jobs:
            job.daemon = True
            job.start()
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            if command:
                child = subprocess.Popen(command)
                code = child.wait()
            else:
                for job in jobs:
                    job.join(max(0, deadline - time.time()) + 10)
        except KeyboardInterrupt:
            code = 130
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            child.wait()
        for job in jobs:
            if job.is_alive():
                job.kill()
        target.send_signal(signal.SIGTERM)
        try:
            target.wait(10)
        except subprocess.TimeoutExpired:
            target.kill()
        # muxd removes its ready file when it exits; the folder is this script's.
        try:
            os.rmdir(os.path.dirname(ready))
        except OSError:
            pass
    sys.exit(code)


if __name__ == "__main__":
    main()
