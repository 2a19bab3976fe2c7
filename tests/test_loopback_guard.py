"""The suite's own guard: a test never reaches another host (see conftest's ``_only_loopback``)."""

from __future__ import annotations

import socket

import pytest


@pytest.mark.parametrize("host", ["192.0.2.1", "10.0.0.1", "::ffff:192.0.2.1", "example.org"])
def test_the_guard_refuses_every_address_off_this_machine(host: str) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s, pytest.raises(OSError, match="tests talk only to 127.0.0.1"):
        s.connect((host, 80))  # refused before any packet is sent


def test_the_guard_lets_loopback_through() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
