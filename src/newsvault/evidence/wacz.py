"""Packaging captures for replay: a WACZ 1.1.1 file (a zip that pywb, ReplayWeb.page and the
Webrecorder tools open directly).

Layout: ``archive/*.warc.gz`` (stored, not re-compressed, so the CDXJ offsets stay valid),
``indexes/index.cdxj`` (one line per response record, sorted by SURT key and time),
``pages/pages.jsonl`` (the HTML pages captured with status 200), ``datapackage.json`` listing
every resource with its size and sha256, and ``datapackage-digest.json`` (the sha256 of
``datapackage.json``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .warc import Capture, read_index

__all__ = ["write_wacz", "verify_wacz", "sign_digest", "surt", "WACZ_VERSION"]

WACZ_VERSION = "1.1.1"


def surt(url: str) -> str:
    """The SURT key pywb and ReplayWeb.page look ``url`` up by: ``https://www.example.org/a/?b=2&a=1``
    → ``org,example)/a?a=1&b=2`` (host reversed, ``www.`` and the scheme dropped, query sorted,
    trailing slash dropped), from the ``surt`` package that pywb itself uses."""
    from surt import surt as _surt  # surt pulls in tldextract; only WACZ export needs it

    return str(_surt(url))


def _stamp(capture: Capture) -> str:
    return capture.time.replace("-", "").replace(":", "").replace("T", "").rstrip("Z")


def _cdxj(capture: Capture) -> str:
    fields = {
        "url": capture.url, "mime": capture.content_type.split(";")[0].strip(), "status": str(capture.status),
        "digest": capture.digest, "length": str(capture.length), "offset": str(capture.offset),
        "filename": Path(capture.file).name,
    }
    return f"{surt(capture.url)} {_stamp(capture)} {json.dumps(fields, ensure_ascii=False)}"


def _pages(captures: list[Capture]) -> list[str]:
    lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
    seen: set[str] = set()
    for c in sorted(captures, key=lambda c: c.time):
        if c.status == 200 and "html" in c.content_type and c.url not in seen:
            seen.add(c.url)
            page_id = hashlib.sha1(c.url.encode("utf-8")).hexdigest()[:16]
            lines.append(json.dumps({"id": page_id, "url": c.url, "ts": c.time}, ensure_ascii=False))
    return lines


class _Hashing:
    """Adds members to the zip, remembering each one's size and sha256 for datapackage.json."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.resources: list[dict[str, object]] = []

    def add_bytes(self, name: str, data: bytes, compress: bool = True) -> None:
        self.zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
        self._note(name, len(data), hashlib.sha256(data).hexdigest())

    def add_file(self, name: str, path: Path) -> None:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        self.zf.write(path, name, compress_type=zipfile.ZIP_STORED)  # offsets inside stay valid
        self._note(name, path.stat().st_size, h.hexdigest())

    def _note(self, name: str, size: int, sha256: str) -> None:
        self.resources.append({"name": Path(name).name, "path": name, "hash": f"sha256:{sha256}", "bytes": size})


def sign_digest(digest: dict[str, Any], key_pem: bytes, software: str, created: str) -> dict[str, Any]:
    """``digest`` (``datapackage-digest.json``) with ``signedData`` in the anonymous form of the
    WACZ signing spec: the ``hash`` string signed with ECDSA/SHA-256 by the key, whose public
    half (DER SubjectPublicKeyInfo, base64) travels as ``publicKey``; ``signature`` is base64 DER."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from ..errors import NewsvaultError

    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as e:
        raise NewsvaultError(f"--sign: not an unencrypted PEM private key ({e})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise NewsvaultError("--sign: the key must be an EC key (e.g. openssl ecparam -name prime256v1 -genkey -noout)")
    signature = key.sign(digest["hash"].encode("ascii"), ec.ECDSA(hashes.SHA256()))
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    signed = {"hash": digest["hash"], "created": created, "software": software,
              "publicKey": base64.b64encode(public).decode("ascii"), "signature": base64.b64encode(signature).decode("ascii")}
    return {**digest, "signedData": signed}


def verify_wacz(path: Path) -> list[str]:
    """What is wrong with the WACZ at ``path`` ([] when nothing): every member's sha256 and size
    against ``datapackage.json``, that file's hash against ``datapackage-digest.json``, and the
    signature when there is one."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    problems: list[str] = []
    try:
        with zipfile.ZipFile(path) as zf:
            package_bytes = zf.read("datapackage.json")
            package = json.loads(package_bytes)
            digest = json.loads(zf.read("datapackage-digest.json"))
            for r in package.get("resources", []):
                data = zf.read(r["path"])
                if "sha256:" + hashlib.sha256(data).hexdigest() != r["hash"] or len(data) != r["bytes"]:
                    problems.append(f"{r['path']}: its sha256 or size is not the one datapackage.json lists")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
        return [f"not a readable WACZ ({type(e).__name__}: {e})"]
    if digest.get("hash") != "sha256:" + hashlib.sha256(package_bytes).hexdigest():
        problems.append("datapackage.json: its sha256 is not the one datapackage-digest.json lists")
    signed = digest.get("signedData")
    if signed:
        try:
            key = serialization.load_der_public_key(base64.b64decode(signed["publicKey"]))
            assert isinstance(key, ec.EllipticCurvePublicKey)
            if signed.get("hash") != digest.get("hash"):
                raise InvalidSignature
            key.verify(base64.b64decode(signed["signature"]), signed["hash"].encode("ascii"), ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, KeyError, ValueError, AssertionError):
            problems.append("datapackage-digest.json: the signature does not hold")
    return problems


def write_wacz(root: Path, target: Path, sign_key: bytes | None = None) -> int:
    """Write every indexed capture of the archive at ``root`` into ``target``; the number of
    captures. The file is written next to ``target`` and renamed into place. ``sign_key``: a
    PEM EC private key signing ``datapackage-digest.json`` (:func:`sign_digest`)."""
    from ..errors import NewsvaultError
    from ..fetch import USER_AGENT

    captures, _ = read_index(Path(root))
    files = sorted({c.file for c in captures})
    missing = [f for f in files if not (Path(root) / f).is_file()]
    if missing:
        raise NewsvaultError(f"WARC file {missing[0]} named by warc/index.jsonl is missing (run 'newsvault fsck')")
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
        out = _Hashing(zf)
        for f in files:
            out.add_file(f"archive/{Path(f).name}", Path(root) / f)
        cdxj = sorted(_cdxj(c) for c in captures)
        out.add_bytes("indexes/index.cdxj", ("\n".join(cdxj) + "\n" if cdxj else "").encode("utf-8"))
        out.add_bytes("pages/pages.jsonl", ("\n".join(_pages(captures)) + "\n").encode("utf-8"))
        package = {
            "profile": "data-package", "wacz_version": WACZ_VERSION, "software": USER_AGENT,
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "title": Path(root).name,
            "mainPageUrl": None, "resources": out.resources,
        }
        data = json.dumps(package, ensure_ascii=False, indent=1).encode("utf-8")
        zf.writestr("datapackage.json", data)
        digest: dict[str, Any] = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(data).hexdigest()}
        if sign_key is not None:
            digest = sign_digest(digest, sign_key, USER_AGENT, str(package["created"]))
        zf.writestr("datapackage-digest.json", json.dumps(digest))
    os.replace(tmp, target)
    return len(captures)
