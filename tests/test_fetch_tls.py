"""https on 127.0.0.1: certificates are checked, though the bundle is loaded only for https."""

from __future__ import annotations

import asyncio
import datetime as dt
import http.server
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from collect_helpers import FeedServer, Reply
from newsvault.errors import FetchError
from newsvault.fetch import Fetcher, FetchPolicy

FAST = dict(timeout=2.0, deadline=5.0, retries=0, allow_private=True)


def fetch(url: str):
    async def go():
        async with Fetcher(FetchPolicy(**FAST)) as f:
            return await f.get(url)

    return asyncio.run(go())


def _cert(tmp: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate it signs for 127.0.0.1: (ca.pem, cert.pem, key.pem)."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "newsvault test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(1).not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = tmp / "ca.pem", tmp / "cert.pem", tmp / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


class _Feed(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b"<rss>tls</rss>"
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls(tmp_path) -> Iterator[tuple[str, Path]]:
    """(https URL of a feed on 127.0.0.1, the CA file that signed its certificate)."""
    ca, cert, key = _cert(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/feed.xml", ca
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_an_unknown_certificate_is_refused(tls, monkeypatch):
    url, _ca = tls
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        fetch(url)


def test_a_trusted_certificate_is_accepted_directly_and_after_an_http_redirect(tls, monkeypatch):
    url, ca = tls
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    assert fetch(url).content == b"<rss>tls</rss>"
    with FeedServer() as plain:  # the client's first hop is http, its second https
        plain.sequence("/moved.xml", [Reply(301, b"", {"Location": url})])
        r = fetch(plain.url("/moved.xml"))
    assert r.content == b"<rss>tls</rss>" and r.redirects == 1
