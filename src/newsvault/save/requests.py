"""Save-requests by GitHub issue: read the request, answer it with files for ``gh``.

The issue is hostile input: its title and body are written by strangers. Nothing from it is
ever passed to a shell; URLs are picked out of the text by pattern, only http(s) ones are
taken, at most :data:`MAX_URLS` (the rest are refused), and the fetching stack refuses private
and loopback addresses. Every refusal is one line of the answer.

The answer is a directory the workflow hands to ``gh`` as files (never as shell words):
``comment-1.md``, ``comment-2.md``, … (each under GitHub's 65,536-character limit), ``label``
(``saved``, ``gone``, ``unsupported`` or ``error``) and ``title`` (the article's title, one line).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ..archive import write_atomic
from ..errors import InputError
from .saving import MAX_URLS, SaveResult

if TYPE_CHECKING:
    from ..archive import Archive

__all__ = ["IssueRequest", "read_request", "write_answer", "COMMENT_LIMIT"]

COMMENT_LIMIT = 65_536
_ROOM = 60_000  # characters of a comment's text, leaving room for the continuation line
# A URL-looking token: scheme:… (any scheme, so that javascript: and file: are named and
# refused), or a bare host/path as people paste them (taken as https).
_TOKEN = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]{1,15}:[^\s<>\"'`]+|\b(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}/[^\s<>\"'`]*")
_SCHEMES = ("http", "https")


@dataclass
class IssueRequest:
    number: int
    urls: list[str]
    refusals: list[str] = field(default_factory=list)  # one line each
    repository: str = ""  # owner/name, for links to the record files


def read_request(path: Path) -> IssueRequest:
    """The request in an ``issues`` event payload (or a bare issue object, as ``gh`` prints it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: not a GitHub issue event ({e})") from None
    issue = data.get("issue", data) if isinstance(data, dict) else None
    if not isinstance(issue, dict) or not isinstance(issue.get("number"), int):
        raise InputError(f"{path}: not a GitHub issue event (no issue number)")
    repo = data.get("repository", {}).get("full_name", "") if isinstance(data.get("repository"), dict) else ""
    body, title = issue.get("body"), issue.get("title")
    text = body if isinstance(body, str) and body.strip() else title if isinstance(title, str) else ""
    urls, refusals = pick_urls(text)
    if not urls and not refusals:
        refusals.append("no URL found in the request (put the page's address in the issue's body)")
    return IssueRequest(issue["number"], urls, refusals, repo if re.fullmatch(r"[\w.-]+/[\w.-]+", repo or "") else "")


def _shown(token: str) -> str:
    """A token quoted for Markdown, shortened, without what could break out of a code span."""
    text = token.replace("`", "'").replace("\n", " ")
    return "`" + (text if len(text) <= 80 else text[:77] + "…") + "`"


def pick_urls(text: str) -> tuple[list[str], list[str]]:
    """The http(s) URLs in ``text`` (each once, at most MAX_URLS), and a line per refused token."""
    urls: list[str] = []
    refusals: list[str] = []
    for token in _TOKEN.findall(text):
        token = token.rstrip(".,;:!?）。，")
        while token.endswith(")") and token.count(")") > token.count("("):  # "(see https://…)"
            token = token[:-1]
        scheme = urlsplit(token).scheme.lower() if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:(?!\d)", token) else "https"
        if scheme not in _SCHEMES:
            refusals.append(f"{_shown(token)}: refused: only http(s) pages are saved")
            continue
        if token in urls:
            continue
        if len(urls) >= MAX_URLS:
            refusals.append(f"{_shown(token)}: refused: at most {MAX_URLS} URLs a request")
            continue
        urls.append(token)
    return urls, refusals


def _label(results: list[SaveResult], refusals: list[str]) -> str:
    statuses = {r.status for r in results}
    if statuses & {"new", "revision", "unchanged"}:
        return "saved"
    if "gone" in statuses:
        return "gone"
    if "error" in statuses:
        return "error"
    return "unsupported"


def _section(archive: Archive, r: SaveResult, repo: str) -> str:
    from ..text import html_to_text

    if r.status not in ("new", "revision", "unchanged") or not r.path:
        return f"- {_shown(r.url)}: {r.status}: {r.message}"
    record = archive.read(r.path)
    head = (r.title or record.title) + (f" by {r.author}" if r.author else "")
    lines = [head, "------"]
    if r.published is not None:
        day = datetime.fromtimestamp(r.published / 1000, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
        lines.append(f"**{day}** (UTC+8) · {r.site}")
    link = f"https://github.com/{repo}/blob/HEAD/{r.path}" if repo else r.path
    links = [f"Archived ({r.status}): [{r.path}]({link})"]
    if archive.config.site_url and r.id:  # the article's page on the published site (its versions, its images)
        from ..publish.render import article_path

        links.append(f"[on the site]({archive.config.site_url.rstrip('/')}/{article_path(r.id)})")
    links.append(f"original: <{record.url}>")
    lines += ["", html_to_text(record.body), "", " · ".join(links)]
    return "\n".join(lines)


def _split(text: str) -> list[str]:
    """Comments under GitHub's limit, cut between paragraphs where possible."""
    parts: list[str] = []
    while len(text) > _ROOM:
        cut = text.rfind("\n\n", 0, _ROOM)
        cut = cut if cut > _ROOM // 2 else _ROOM
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    parts.append(text)
    if len(parts) > 1:
        parts = [f"{p}\n\n({n}/{len(parts)})" for n, p in enumerate(parts, start=1)]
    return parts


def write_answer(archive: Archive, request: IssueRequest, results: list[SaveResult], folder: Path) -> dict[str, Any]:
    """Write the answer files into ``folder``; return what they say (for ``--json``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("comment-*.md"):
        old.unlink()
    sections = [_section(archive, r, request.repository) for r in results]
    if request.refusals:
        sections.append("\n".join(f"- {line}" for line in request.refusals))
    comments = _split("\n\n".join(sections))
    for n, text in enumerate(comments, start=1):
        write_atomic(folder / f"comment-{n}.md", text + "\n")
    label = _label(results, request.refusals)
    write_atomic(folder / "label", label + "\n")
    saved = next((r for r in results if r.status in ("new", "revision", "unchanged") and r.title), None)
    title = " ".join(((saved.title if saved else None) or f"{label}: request #{request.number}").split())[:200]
    write_atomic(folder / "title", title + "\n")
    return {"issue": request.number, "label": label, "title": title, "comments": len(comments), "refusals": request.refusals}
