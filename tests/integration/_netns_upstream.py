# The upstream of tests/integration/forward_netns_test.ts, run inside a network
# namespace of the test's own: on the address given, a TCP echo (every byte
# back, then a half-close at the client's end of stream), a TCP greeter (it
# speaks first and half-closes, then reads to the end and prints what it
# heard as a JSON line on stdout) and a UDP echo (each datagram back as one
# datagram, to its sender). It prints its ports as one JSON line, then serves
# until stdin closes.
import json
import socket
import sys
import threading

address = sys.argv[1]


def echo(conn):
    with conn:
        while chunk := conn.recv(65536):
            conn.sendall(chunk)
        conn.shutdown(socket.SHUT_WR)


def greet(conn):
    with conn:
        conn.sendall(b"hello from the namespace\n")
        conn.shutdown(socket.SHUT_WR)
        heard = b""
        while chunk := conn.recv(65536):
            heard += chunk
        print(json.dumps({"heard": heard.decode(errors="replace")}), flush=True)


def serve_tcp(listener, handle):
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def serve_udp(sock):
    while True:
        try:
            data, sender = sock.recvfrom(65535)
            sock.sendto(data, sender)
        except OSError:
            return


def tcp_listener():
    s = socket.socket()
    s.bind((address, 0))
    s.listen(16)
    return s


echo_listener, greet_listener = tcp_listener(), tcp_listener()
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
udp.bind((address, 0))
threading.Thread(target=serve_tcp, args=(echo_listener, echo), daemon=True).start()
threading.Thread(target=serve_tcp, args=(greet_listener, greet), daemon=True).start()
threading.Thread(target=serve_udp, args=(udp,), daemon=True).start()
ports = {
    "echo": echo_listener.getsockname()[1],
    "greeter": greet_listener.getsockname()[1],
    "udp": udp.getsockname()[1],
}
print(json.dumps(ports), flush=True)
sys.stdin.read()
