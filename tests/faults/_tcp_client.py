"""A TCP client for the fault tests, as a learner would write it with
Python's socket module. One mode per run; prints one JSON object.

  rtt HOST PORT COUNT            COUNT round trips of b"ping\\n" (echo): their times in ms
  read HOST PORT SEND MAX WAIT   sends SEND (text, or "bytes:N" for N bytes), then reads until end of stream,
                                 reset, MAX bytes or WAIT s without a byte: each
                                 read's size and time (ms since connect), how it ended,
                                 and after an end of stream whether sends still go
  upload HOST PORT TOTAL         sends TOTAL bytes, half-closes, waits for the server's
                                 end of stream: the time in ms from the first byte
  push HOST PORT MAX WAIT        sends 4 KiB at a time, with a send timeout of WAIT s,
                                 until one times out or MAX bytes went: how many went
"""
import json, socket, sys, time

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.create_connection((host, port))
start = time.monotonic()
ms = lambda: round((time.monotonic() - start) * 1000, 1)
out = {}
try:
    if mode == "rtt":
        times = []
        for _ in range(int(sys.argv[4])):
            t = time.monotonic()
            s.sendall(b"ping\n")
            got = b""
            while len(got) < 5:
                chunk = s.recv(100)
                if not chunk:
                    raise EOFError("end of stream")
                got += chunk
            times.append(round((time.monotonic() - t) * 1000, 1))
        out = {"times": times}
    elif mode == "read":
        send, limit, wait = sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
        send = b"x" * int(send[6:]) if send.startswith("bytes:") else send.encode()
        try:
            # Nothing to send, no send: a send would take the error of a
            # reset that came first, and the reads would then see end of stream.
            if send:
                s.sendall(send)
        except (ConnectionResetError, BrokenPipeError) as e:
            out["sendError"] = type(e).__name__
        s.settimeout(wait)
        sizes, times, total, end = [], [], 0, "max"
        while total < limit:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                end = "timeout"
                break
            except ConnectionResetError:
                end = "reset"
                break
            if not chunk:
                end = "eof"
                break
            sizes.append(len(chunk))
            times.append(ms())
            total += len(chunk)
        out.update({"sizes": sizes, "times": times, "bytes": total, "end": end, "ms": ms()})
        if end == "eof":
            # A FIN, then perhaps an RST behind it: the next sends find out.
            time.sleep(0.05)
            try:
                s.sendall(b"x")
                time.sleep(0.05)
                s.sendall(b"x")
                out["sendAfterEnd"] = "ok"
            except (ConnectionResetError, BrokenPipeError) as e:
                out["sendAfterEnd"] = type(e).__name__
    elif mode == "upload":
        total = int(sys.argv[4])
        s.sendall(b"x" * total)
        s.shutdown(socket.SHUT_WR)
        s.settimeout(10)
        end = "eof" if s.recv(1) == b"" else "data"
        out = {"ms": ms(), "end": end}
    elif mode == "push":
        limit, wait = int(sys.argv[4]), float(sys.argv[5])
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        s.settimeout(wait)
        out.update({"sent": 0, "end": "max"})
        block = b"x" * 4096
        while out["sent"] < limit:
            try:
                out["sent"] += s.send(block)
            except socket.timeout:
                out["end"] = "timeout"
                break
        out["ms"] = ms()
except (ConnectionResetError, BrokenPipeError) as e:
    out["error"] = type(e).__name__
finally:
    s.close()
print(json.dumps(out))
