"""Trusted time: an RFC 3161 time-stamp token for each pass's manifest.

One request a pass, not one an article: the manifest's sha256 (the hash of every capture and
file it lists) is sent to the ``[evidence] timestamp_authorities``, in order; the first that
answers with a token for that hash wins. The token — the TSA's DER ``TimeStampResp``, what
``openssl ts -reply`` prints — is stored beside the manifest as ``<manifest>.tsr``, so
``openssl ts -verify -data <manifest> -in <manifest>.tsr -CAfile <root>`` checks it without
newsvault.

A TSA that is down, slow or answers garbage never fails the pass: the manifest stays without
a token, every later pass retries it (oldest first, ``RETRY_LIMIT`` a pass), and the last
failure is kept in ``.newsvault/timestamps.json`` for ``stats`` (source health) to report.
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..archive import STATE_DIR, write_atomic
from .manifest import manifest_paths

if TYPE_CHECKING:
    from ..archive import Archive

__all__ = [
    "request_token", "stamp_pending", "check_token", "timestamp_status", "token_path",
    "TokenFacts", "StampReport", "TimestampError", "TOKEN_SUFFIX", "RETRY_LIMIT",
]

TOKEN_SUFFIX = ".tsr"
STATE_NAME = "timestamps.json"
RETRY_LIMIT = 24  # manifests a pass stamps at most: a day of hourly passes after an outage
MAX_RESPONSE = 1 << 20  # a TimeStampResp is a few KB; anything near this is not one

log = logging.getLogger(__name__)


class TimestampError(Exception):
    """No token: why (the TSA's answer, or the link of the chain that failed)."""


@dataclass(frozen=True)
class TokenFacts:
    """What a checked token says."""

    time: datetime  # genTime: when the TSA signed the hash
    serial: int
    tsa: str  # the signing certificate's subject
    root: str  # the trust root its chain reached
    sha256: str  # the hash it vouches for (hex)


@dataclass
class StampReport:
    written: list[str] = field(default_factory=list)  # tokens stored (paths relative to the archive)
    pending: list[str] = field(default_factory=list)  # manifests still without one
    error: str | None = None  # the last failure, when there was one


def token_path(manifest_rel: str) -> str:
    return manifest_rel + TOKEN_SUFFIX


def request_token(authorities: list[str], data: bytes, timeout: float) -> tuple[str, bytes]:
    """A token for sha256(``data``) from the first authority that gives a valid one: (its URL,
    the DER TimeStampResp). TimestampError naming each failure when none did."""
    from rfc3161_client import (  # only a pass that stamps pays for it
        HashAlgorithm,
        PKIStatus,
        TimestampRequestBuilder,
        decode_timestamp_response,
    )

    request = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).cert_request(cert_request=True).nonce(nonce=True).build()
    wanted = hashlib.sha256(data).digest()
    failures = []
    for url in authorities:
        try:
            body = _post(url, request.as_bytes(), timeout)
            response = decode_timestamp_response(body)
            if PKIStatus(response.status) not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
                raise TimestampError(f"refused (status {response.status}: {' '.join(response.status_string) or 'no reason given'})")
            info = response.tst_info
            if info.message_imprint.message != wanted:
                raise TimestampError("answered a token for another hash")
            if info.nonce != request.nonce:
                raise TimestampError("answered a token for another request (nonce differs)")
            return url, body
        except (TimestampError, OSError, ValueError) as e:
            failures.append(f"{url}: {_reason(e)}")
    raise TimestampError("; ".join(failures) or "no time-stamp authority configured")


def _reason(e: Exception) -> str:
    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP {e.code}"
    if isinstance(e, urllib.error.URLError):
        return str(e.reason)
    if isinstance(e, TimeoutError):
        return "timed out"
    if isinstance(e, ValueError) and not isinstance(e, TimestampError):
        return f"not a time-stamp response ({e})"
    return str(e) or type(e).__name__


def _post(url: str, body: bytes, timeout: float) -> bytes:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/timestamp-query", "Accept": "application/timestamp-reply"})
    with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - a URL the archive's owner configured
        data: bytes = r.read(MAX_RESPONSE + 1)
    if len(data) > MAX_RESPONSE:
        raise TimestampError("answer too large to be a time-stamp response")
    return data


def stamp_pending(archive: Archive) -> StampReport:
    """Ask for a token for every manifest that has none (at most ``RETRY_LIMIT``, oldest first)
    and store what is answered. Never raises: a failure is reported and retried next pass."""
    report = StampReport()
    config = archive.config.evidence
    if not config.timestamp_authorities:
        return report
    root = archive.root
    missing = [m for m in manifest_paths(root) if not (root / token_path(m)).exists()]
    for n, rel in enumerate(missing):
        if n >= RETRY_LIMIT or report.error is not None:  # once one fails, the rest wait too
            report.pending.append(rel)
            continue
        try:
            _, token = request_token(config.timestamp_authorities, (root / rel).read_bytes(), config.timestamp_timeout)
        except (TimestampError, OSError) as e:
            report.error = str(e)
            report.pending.append(rel)
            continue
        write_atomic(root / token_path(rel), token)
        report.written.append(token_path(rel))
    _save_state(archive, report)
    if report.error:
        log.warning("timestamping failed (retried next pass): %s", report.error)
    return report


def _state_path(archive: Archive) -> Path:
    return archive.root / STATE_DIR / STATE_NAME


def _save_state(archive: Archive, report: StampReport) -> None:
    try:
        path = _state_path(archive)
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps({"error": report.error, "pending": len(report.pending)}), encoding="utf-8")
    except OSError:  # health is a convenience; the tokens are the evidence
        pass


def timestamp_status(archive: Archive) -> dict[str, Any] | None:
    """For health: whether timestamping is on, how many manifests wait for a token and the last
    failure; None when it is off."""
    config = archive.config.evidence
    if not config.timestamp_authorities:
        return None
    root = archive.root
    pending = sum(1 for m in manifest_paths(root) if not (root / token_path(m)).exists())
    try:
        state = json.loads(_state_path(archive).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    return {"authorities": list(config.timestamp_authorities), "pending": pending, "last_error": state.get("error") if pending else None}


def load_roots(paths: list[Path]) -> list[Any]:
    """The certificates of every PEM file in ``paths`` (TimestampError naming a bad one)."""
    from cryptography import x509

    roots = []
    for p in paths:
        try:
            roots.extend(x509.load_pem_x509_certificates(Path(p).read_bytes()))
        except (OSError, ValueError) as e:
            raise TimestampError(f"trust root {p}: cannot be read as PEM certificates ({e})") from None
    return roots


def check_token(token: bytes, data: bytes, roots: list[Any]) -> TokenFacts:
    """Check that ``token`` is a time-stamp of sha256(``data``), signed by a certificate that
    chains to one of ``roots`` and was valid at the stamped time. TimestampError saying which
    part fails: ``hash`` (a token for other bytes), ``signature`` (the chain or the signature)."""
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response  # only verify pays for it

    try:
        response = decode_timestamp_response(token)
        info = response.tst_info
    except ValueError as e:
        raise TimestampError(f"signature: not a time-stamp response ({e})") from None
    wanted = hashlib.sha256(data).digest()
    if info.message_imprint.message != wanted:
        raise TimestampError(f"hash: the token vouches for {info.message_imprint.message.hex()}, not for these bytes ({wanted.hex()})")
    if not roots:
        raise TimestampError("signature: no [evidence] trust_roots to check the authority's certificate against")
    failures = []
    for root in roots:  # the verifier wants one root per chain to name which one held
        try:
            VerifierBuilder(roots=[root]).build().verify(response, wanted)
        except (VerificationError, ValueError) as e:
            failures.append(str(e))
            continue
        return TokenFacts(info.gen_time, info.serial_number, _signer(response), root.subject.rfc4514_string(), wanted.hex())
    raise TimestampError(f"signature: {failures[-1] if failures else 'not verified'}")


def token_claim(token: bytes, data: bytes) -> tuple[str, str, bool] | None:
    """What a token says, before anyone checks its signature: (the authority's name, the time
    it stamped as ``YYYY-MM-DD HH:MM:SS`` UTC, whether it is for sha256(``data``)). None when
    it is not a time-stamp response. Only :func:`check_token` (against trust roots) proves it."""
    from rfc3161_client import decode_timestamp_response

    try:
        response = decode_timestamp_response(token)
        info = response.tst_info
        when = info.gen_time.astimezone(UTC) if info.gen_time.tzinfo else info.gen_time
        return _signer(response), when.strftime("%Y-%m-%d %H:%M:%S"), info.message_imprint.message == hashlib.sha256(data).digest()
    except ValueError:
        return None


def _signer(response: Any) -> str:
    from cryptography import x509

    infos = list(response.signed_data.signer_infos)
    for der in response.signed_data.certificates:
        cert = x509.load_der_x509_certificate(der)
        if infos and cert.serial_number == infos[0].serial_number and cert.issuer == infos[0].issuer:
            return str(cert.subject.rfc4514_string())
    return "an authority whose certificate the token does not include"
