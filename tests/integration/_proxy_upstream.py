# An upstream that reads a PROXY protocol header (HAProxy's
# proxy-protocol.txt, v1 or v2) the way the spec says a receiver must, written
# apart from muxd's own code so that it checks it. For each connection it
# answers one JSON line saying what the header held (or why it is invalid,
# and then closes), then echoes every byte after the header until the end of
# stream, and half-closes. It prints its port, then serves until stdin closes.
import json
import socket
import struct
import sys
import threading

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def port_text(text):
    if not text.isdigit() or (len(text) > 1 and text[0] == "0") or int(text) > 65535:
        raise ValueError(f"bad port {text!r}")
    return int(text)


def address_text(family, text):
    if family == socket.AF_INET and any(len(p) > 1 and p[0] == "0" for p in text.split(".")):
        raise ValueError(f"heading zero in {text!r}")
    return socket.inet_ntop(family, socket.inet_pton(family, text))


def parse_v1(f, start):
    line = start + f.readline(107 - len(start))
    if not line.endswith(b"\r\n") or b"\r" in line[:-2] or b"\n" in line[:-2]:
        raise ValueError(f"no CRLF within 107 bytes: {line!r}")
    fields = line[:-2].decode("ascii").split(" ")
    if len(fields) != 6 or fields[0] != "PROXY" or fields[1] not in ("TCP4", "TCP6"):
        raise ValueError(f"not PROXY TCP4/TCP6 with 4 fields: {line!r}")
    family = socket.AF_INET if fields[1] == "TCP4" else socket.AF_INET6
    return {
        "version": "v1",
        "family": fields[1],
        "source": address_text(family, fields[2]),
        "destination": address_text(family, fields[3]),
        "sourcePort": port_text(fields[4]),
        "destinationPort": port_text(fields[5]),
        "headerBytes": len(line),
    }


def parse_v2(f):
    ver_cmd, fam, length = struct.unpack("!BBH", f.read(4))
    if ver_cmd != 0x21:
        raise ValueError(f"version/command {ver_cmd:#x}, not 0x21 (v2, PROXY)")
    body = f.read(length)
    if len(body) != length:
        raise ValueError("a partial address block")
    if fam == 0x11 and length >= 12:
        family, size, name = socket.AF_INET, 4, "TCP4"
    elif fam == 0x21 and length >= 36:
        family, size, name = socket.AF_INET6, 16, "TCP6"
    else:
        raise ValueError(f"family/protocol {fam:#x} with length {length}")
    source_port, destination_port = struct.unpack("!HH", body[2 * size : 2 * size + 4])
    return {
        "version": "v2",
        "family": name,
        "source": socket.inet_ntop(family, body[:size]),
        "destination": socket.inet_ntop(family, body[size : 2 * size]),
        "sourcePort": source_port,
        "destinationPort": destination_port,
        "headerBytes": 16 + length,
    }


def serve(conn):
    with conn:
        f = conn.makefile("rb")
        try:
            start = f.read(12)
            if start == SIGNATURE:
                header = parse_v2(f)
            elif start.startswith(b"PROXY "):
                header = parse_v1(f, start)
            else:
                raise ValueError(f"no PROXY header: {start!r}")
        except (ValueError, OSError, struct.error) as e:
            conn.sendall((json.dumps({"error": str(e)}) + "\n").encode())
            return
        conn.sendall((json.dumps(header) + "\n").encode())
        while chunk := f.read1(65536):
            conn.sendall(chunk)
        conn.shutdown(socket.SHUT_WR)


listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print(listener.getsockname()[1], flush=True)


def accept():
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


threading.Thread(target=accept, daemon=True).start()
sys.stdin.read()
