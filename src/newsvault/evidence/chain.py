"""``newsvault verify``: the chain from a record file to a third party's clock, checked offline.

Links, in the order they are checked (the first that breaks is the one named):

1. ``manifest`` — some pass's manifest lists the file;
2. ``record`` — the file's sha256 is the one that manifest lists;
3. ``warc`` — the WARC record the manifest names is at its file and offset, with the same
   record id, URL and time, and its payload's sha1 is the digest the manifest lists;
4. ``token`` — the manifest's ``.tsr`` is a time-stamp of the manifest's sha256;
5. ``tsa`` — the token's signature holds and its certificate chains to one of
   ``[evidence] trust_roots``.

A manifest without a token is "not timestamped" — a break only while timestamp authorities are
configured (they were asked, or will be).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .captures import Capture, read_capture
from .manifest import Entry, Manifest, iter_manifests, sha256_file
from .timestamp import TimestampError, TokenFacts, check_token, load_roots, token_path

if TYPE_CHECKING:
    from ..archive import Archive

__all__ = ["Finding", "Proof", "verify_files", "verify_all", "LINKS"]

LINKS = ("manifest", "record", "warc", "token", "tsa")


@dataclass
class Finding:
    """One file's chain: what was checked, and the first link that broke (None: all held)."""

    path: str
    sha256: str = ""
    manifest: str = ""
    entry: Entry | None = None
    software: str = ""
    token: TokenFacts | None = None
    timestamped: bool = False
    broken: str | None = None  # the link's name
    problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "sha256": self.sha256, "ok": self.broken is None, "manifest": self.manifest, "software": self.software}
        if self.entry is not None:
            e = self.entry
            out["capture"] = {"url": e.url, "time": e.time, "status": e.status, "ip": e.ip, "warc": e.warc, "offset": e.offset, "record_id": e.record_id, "payload_digest": e.payload_digest}
        if self.token is not None:
            t = self.token
            out["timestamp"] = {"time": t.time.strftime("%Y-%m-%dT%H:%M:%SZ"), "tsa": t.tsa, "root": t.root, "serial": t.serial, "sha256": t.sha256, "token": token_path(self.manifest)}
        if self.broken:
            out["broken"] = {"link": self.broken, "problem": self.problem}
        return out

    def statement(self) -> list[str]:
        """The finding in words a reader who is not an engineer can follow."""
        lines = [self.path]
        if self.sha256:
            lines.append(f"  This file's SHA-256 fingerprint is {self.sha256}.")
        e = self.entry
        if e is not None:
            by = f" from server address {e.ip}" if e.ip else ""
            lines.append(f"  It was written from what {e.url} sent (HTTP {e.status}{by}) at {e.time.replace('T', ' ').rstrip('Z')} UTC,")
            lines.append(f"  recorded byte for byte in {e.warc} at offset {e.offset} (payload fingerprint {e.payload_digest}),")
            lines.append(f"  listed in {self.manifest}" + (f", written by {self.software}." if self.software else "."))
        if self.token is not None:
            t = self.token
            lines.append(f"  That list was timestamped by {t.tsa} at {t.time.strftime('%Y-%m-%d %H:%M:%S')} UTC;")
            lines.append(f"  the authority's certificate chains to the trusted root {t.root}.")
        elif self.broken is None and self.entry is not None:
            lines.append("  That list was not timestamped: nothing but this archive vouches for when it was made.")
        if self.broken:
            lines.append(f"  BROKEN at the {self.broken} link: {self.problem}")
        else:
            lines.append("  Every link holds.")
        return lines


@dataclass
class Proof:
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.broken is None for f in self.findings)

    @property
    def first_broken(self) -> Finding | None:
        return next((f for f in self.findings if f.broken), None)


class _Context:
    """What checking many files shares: manifests read once, tokens checked once each."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.root = archive.root
        config = archive.config.evidence
        self.stamping = bool(config.timestamp_authorities)
        self.roots_error = ""
        try:
            self.roots = load_roots([self.root / p for p in config.trust_roots])
        except TimestampError as e:
            self.roots, self.roots_error = [], str(e)
        self.manifests: list[Manifest] = []
        self.problems: list[tuple[str, str]] = []
        for m in _manifests(self.root, self.problems):
            self.manifests.append(m)
        self._tokens: dict[str, tuple[TokenFacts | None, str | None, str]] = {}

    def token(self, manifest: Manifest) -> tuple[TokenFacts | None, str | None, str]:
        """(facts, broken link, problem) of ``manifest``'s token."""
        if manifest.path not in self._tokens:
            self._tokens[manifest.path] = self._check_token(manifest)
        return self._tokens[manifest.path]

    def _check_token(self, manifest: Manifest) -> tuple[TokenFacts | None, str | None, str]:
        tsr = self.root / token_path(manifest.path)
        if not tsr.exists():
            if self.stamping:
                return None, "token", f"{token_path(manifest.path)} is missing (the authorities have not answered yet, or it was removed)"
            return None, None, ""
        if self.roots_error:
            return None, "tsa", self.roots_error
        try:
            facts = check_token(tsr.read_bytes(), (self.root / manifest.path).read_bytes(), self.roots)
        except TimestampError as e:
            link, _, problem = str(e).partition(": ")
            return None, ("token" if link == "hash" else "tsa"), f"{token_path(manifest.path)}: {problem}"
        return facts, None, ""


def _manifests(root: Path, problems: list[tuple[str, str]]) -> list[Manifest]:
    out: list[Manifest] = []
    try:
        out.extend(iter_manifests(root))
    except (ValueError, UnicodeDecodeError) as e:
        problems.append(("manifest", str(e)))
    return out


def _payload_digest(payload: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")  # noqa: S324 - WARC's own digest


def _check_warc(root: Path, entry: Entry) -> str:
    """What is wrong between ``entry`` and the WARC record it names ("" when nothing)."""
    capture = Capture(entry.time, entry.url, entry.status, entry.warc, entry.offset, entry.length, entry.record_id, entry.payload_digest)
    if not (root / entry.warc).is_file():
        return f"{entry.warc} is missing (WARC files stay with the collector that made them: see docs/evidence.md)"
    try:
        record, payload = read_capture(root, capture)
    except Exception as e:  # noqa: BLE001 - any failure to read is the finding
        return f"{entry.warc} offset {entry.offset}: cannot be read ({type(e).__name__}: {e})"
    headers = record.rec_headers
    if headers.get_header("WARC-Record-ID") != entry.record_id:
        return f"{entry.warc} offset {entry.offset} holds {headers.get_header('WARC-Record-ID')}, not {entry.record_id}"
    if headers.get_header("WARC-Target-URI") != entry.url or headers.get_header("WARC-Date") != entry.time:
        return f"{entry.warc} offset {entry.offset}: the record is of {headers.get_header('WARC-Target-URI')} at {headers.get_header('WARC-Date')}"
    actual = _payload_digest(payload)
    if actual != entry.payload_digest or headers.get_header("WARC-Payload-Digest") != entry.payload_digest:
        return f"{entry.warc} offset {entry.offset}: the payload's digest is {actual}, the manifest lists {entry.payload_digest}"
    return ""


def _finding(ctx: _Context, path: str, manifest: Manifest, entry: Entry, listed: str) -> Finding:
    f = Finding(path, manifest=manifest.path, entry=entry, software=str(manifest.header.get("software", "")))
    file = ctx.root / path
    if not file.is_file():
        f.broken, f.problem = "record", f"{path} is missing"
        return f
    f.sha256 = sha256_file(file)
    if f.sha256 != listed:
        f.broken, f.problem = "record", f"{path} has sha256 {f.sha256}; {manifest.path} lists {listed} (the file changed since it was written)"
        return f
    problem = _check_warc(ctx.root, entry)
    if problem:
        f.broken, f.problem = "warc", problem
        return f
    f.token, broken, problem = ctx.token(manifest)
    f.timestamped = f.token is not None
    if broken:
        f.broken, f.problem = broken, problem
    return f


def verify_files(archive: Archive, paths: list[str]) -> Proof:
    """The chain of each file in ``paths`` (relative to the archive), through every manifest
    entry that lists it."""
    ctx = _Context(archive)
    proof = Proof()
    for path in paths:
        found = [(m, e, f["sha256"]) for m in ctx.manifests for e in m.entries for f in e.files if f.get("path") == path]
        if not found:
            why = ctx.problems[0][1] if ctx.problems else "no manifest lists it (written before manifests were kept, or by a pass without WARC capture)"
            proof.findings.append(Finding(path, sha256=sha256_file(ctx.root / path) if (ctx.root / path).is_file() else "", broken="manifest", problem=why))
            continue
        proof.findings.extend(_finding(ctx, path, m, e, sha) for m, e, sha in found)
    return proof


def verify_all(archive: Archive) -> Proof:
    """Every file every manifest lists, and every manifest's token (a manifest of a pass that
    wrote nothing still vouches for its captures)."""
    ctx = _Context(archive)
    proof = Proof()
    for link, problem in ctx.problems:
        proof.findings.append(Finding("manifests/", broken=link, problem=problem))
    for m in ctx.manifests:
        listed = False
        for e in m.entries:
            for f in e.files:
                listed = True
                proof.findings.append(_finding(ctx, f["path"], m, e, f["sha256"]))
        if not listed:
            facts, broken, problem = ctx.token(m)
            entry = m.entries[0] if m.entries else None
            warc = _check_warc(ctx.root, entry) if entry else ""
            finding = Finding(m.path, sha256=m.sha256, manifest=m.path, entry=entry, software=str(m.header.get("software", "")), token=facts, timestamped=facts is not None)
            if warc:
                finding.broken, finding.problem = "warc", warc
            elif broken:
                finding.broken, finding.problem = broken, problem
            proof.findings.append(finding)
    return proof
