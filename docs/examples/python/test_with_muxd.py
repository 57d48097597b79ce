"""A test that turns a fault on and off in muxd through the control API."""

import socket


def ask(port, payload, timeout=0.5):
    """Sends one datagram to 127.0.0.1:port; returns the reply, or None after the timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(payload, ("127.0.0.1", port))
        try:
            return sock.recvfrom(2048)[0]
        except socket.timeout:
            return None


def test_a_dropped_datagram_gets_no_reply_until_the_fault_is_cleared(muxd):
    udp = muxd.add("udp://127.0.0.1:0=echo")
    port = udp["local"]["port"]
    assert ask(port, b"hello") == b"hello"

    faulted = muxd.set_faults(udp["id"], "drop=1&seed=1")
    assert faulted["faults"]["text"] == "?drop=1&seed=1"
    assert ask(port, b"lost") is None

    muxd.clear_faults(udp["id"])
    assert ask(port, b"back", timeout=5) == b"back"


def test_metrics_count_the_datagrams_a_fault_dropped(muxd):
    udp = muxd.add("udp://127.0.0.1:0=echo?drop=1&seed=1")
    local = f"127.0.0.1:{udp['local']['port']}"
    for _ in range(3):
        assert ask(udp["local"]["port"], b"lost", timeout=0.2) is None

    assert muxd.metric("muxd_faults_applied_total", local=local, kind="drop") == 3
    assert muxd.metric("muxd_replies_sent_total", local=local) == 0


def test_the_api_refuses_a_request_without_the_token(muxd):
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(muxd.url + "v1/listeners", timeout=10)
        raise AssertionError("answered without a token")
    except urllib.error.HTTPError as error:
        assert error.code == 401
