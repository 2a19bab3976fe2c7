"""Readable diffs of article text, word-level for Chinese.

Text is compared paragraph by paragraph first (cheap, and it keeps moved or unchanged
paragraphs out of the way), then changed paragraphs token by token: every CJK character is a
token, Latin words and numbers are tokens, and so is each run of spaces or punctuation mark.
So an edit of two characters in a 3,000-character paragraph shows as two characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from html import escape

from ..chinese import CJK

__all__ = ["Segment", "tokenize", "diff_text", "diff_stats", "render_diff", "render_diff_html", "PLAIN_MARKS"]

# A Latin word (with inner apostrophes, dots, hyphens: "don't", "3.5", "COVID-19"), a run of
# whitespace, or any other single character (each CJK character is then a token of its own).
_TOKEN = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*|\s+|.", re.S)
_CJK = re.compile(f"[{CJK}]")
# Above this many tokens on both sides, difflib's quadratic worst case is not worth it:
# fall back to its faster heuristic (autojunk) for that one block.
_EXACT_LIMIT = 20_000


@dataclass(frozen=True)
class Segment:
    op: str  # "equal" | "delete" | "insert"
    text: str


def tokenize(text: str) -> list[str]:
    """CJK characters one by one; Latin words, numbers, whitespace runs and punctuation as units."""
    tokens: list[str] = []
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if len(tok) > 1 and _CJK.search(tok):
            tokens.extend(tok)  # \w matches Han characters: split the run into characters
        else:
            tokens.append(tok)
    return tokens


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if p.strip()]


def _token_diff(a: str, b: str) -> list[Segment]:
    ta, tb = tokenize(a), tokenize(b)
    # Trim the common head and tail: most edits are local, and difflib is quadratic at worst.
    head = 0
    while head < len(ta) and head < len(tb) and ta[head] == tb[head]:
        head += 1
    tail = 0
    while tail < len(ta) - head and tail < len(tb) - head and ta[-1 - tail] == tb[-1 - tail]:
        tail += 1
    mid_a, mid_b = ta[head : len(ta) - tail], tb[head : len(tb) - tail]
    out: list[Segment] = []
    if head:
        out.append(Segment("equal", "".join(ta[:head])))
    exact = len(mid_a) < _EXACT_LIMIT or len(mid_b) < _EXACT_LIMIT
    sm = SequenceMatcher(None, mid_a, mid_b, autojunk=not exact)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            out.append(Segment("equal", "".join(mid_a[i1:i2])))
            continue
        if i2 > i1:
            out.append(Segment("delete", "".join(mid_a[i1:i2])))
        if j2 > j1:
            out.append(Segment("insert", "".join(mid_b[j1:j2])))
    if tail:
        out.append(Segment("equal", "".join(ta[len(ta) - tail :])))
    return out


def _merge(segments: Iterable[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for s in segments:
        if not s.text:
            continue
        if out and out[-1].op == s.op:
            out[-1] = Segment(s.op, out[-1].text + s.text)
        else:
            out.append(s)
    return out


def diff_text(old: str, new: str) -> list[Segment]:
    """The edit from ``old`` to ``new`` as equal/delete/insert segments; paragraphs end in '\\n'."""
    pa, pb = _paragraphs(old), _paragraphs(new)
    segments: list[Segment] = []
    sm = SequenceMatcher(None, pa, pb, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            segments.append(Segment("equal", "".join(p + "\n" for p in pa[i1:i2])))
        elif tag == "delete":
            segments.append(Segment("delete", "".join(p + "\n" for p in pa[i1:i2])))
        elif tag == "insert":
            segments.append(Segment("insert", "".join(p + "\n" for p in pb[j1:j2])))
        else:
            segments.extend(_token_diff("\n".join(pa[i1:i2]) + "\n", "\n".join(pb[j1:j2]) + "\n"))
    return _merge(segments)


def diff_stats(segments: Iterable[Segment]) -> dict[str, int]:
    """Characters inserted and deleted (whitespace not counted)."""
    stats = {"inserted": 0, "deleted": 0}
    for s in segments:
        if s.op != "equal":
            n = len("".join(s.text.split()))
            stats["inserted" if s.op == "insert" else "deleted"] += n
    return stats


PLAIN_MARKS: dict[str, tuple[str, str]] = {"delete": ("[-", "-]"), "insert": ("{+", "+}")}


def _shorten(text: str, keep: int, where: str) -> str:
    if len(text) <= keep * 2 + 1:
        return text
    if where == "start":
        return "…" + text[-keep:]
    if where == "end":
        return text[:keep] + "…"
    return text[:keep] + "…" + text[-keep:]


def _lines(segments: list[Segment]) -> list[list[tuple[str, str]]]:
    """Segments split into lines, each a list of (op, text) pieces. A line break belongs to the
    piece that carries it, so deleted or inserted whole paragraphs stay one marked line each."""
    lines: list[list[tuple[str, str]]] = [[]]
    for s in segments:
        parts = s.text.split("\n")
        for k, part in enumerate(parts):
            if part:
                lines[-1].append((s.op, part))
            if k < len(parts) - 1:
                lines.append([])
    if not lines[-1]:
        lines.pop()
    return lines


def _shown(changed: list[bool], context: int) -> list[bool]:
    """Which lines to show: the changed ones and ``context`` lines around each."""
    show = [False] * len(changed)
    for i, c in enumerate(changed):
        if c:
            for j in range(max(0, i - context), min(len(changed), i + context + 1)):
                show[j] = True
    return show


def _elided(hidden: int) -> str:
    return f"⋯ {hidden} unchanged paragraph{'s' if hidden > 1 else ''}"


def _changed_line(line: list[tuple[str, str]], keep: int, mark: Callable[[str, str], str]) -> str:
    pieces = []
    for k, (op, text) in enumerate(line):
        if op == "equal":
            where = "start" if k == 0 else "end" if k == len(line) - 1 else "middle"
            pieces.append(_shorten(text, keep, where))
        else:
            pieces.append(mark(op, text))
    return "".join(pieces)


def render_diff(
    segments: list[Segment],
    *,
    context: int = 1,
    keep: int = 40,
    style: Callable[[str, str], str] | None = None,
) -> str:
    """Changed paragraphs with inline marks, ``context`` unchanged paragraphs around them, the
    rest elided. ``style(op, text)`` decorates changes (default: ``[-…-]`` and ``{+…+}``);
    unchanged stretches longer than ``2 * keep`` characters inside a line are shortened."""

    def mark(op: str, text: str) -> str:
        if style is not None:
            return style(op, text)
        left, right = PLAIN_MARKS[op]
        return f"{left}{text}{right}"

    out: list[str] = []
    for kind, line, hidden in _walk(segments, context):
        if kind == "elided":
            out.append(_elided(hidden))
        elif kind == "changed":
            out.append(_changed_line(line, keep, mark))
        else:
            out.append(_shorten("".join(t for _, t in line), keep, "end"))
    return "\n".join(out)


def _walk(segments: list[Segment], context: int) -> Iterator[tuple[str, list[tuple[str, str]], int]]:
    """The paragraphs a diff shows, in order, for every renderer: ``("changed", line, 0)``,
    ``("same", line, 0)`` for context, and ``("elided", [], n)`` for n paragraphs left out."""
    lines = _lines(segments)
    changed = [any(op != "equal" for op, _ in line) for line in lines]
    hidden = 0
    for line, is_shown, is_changed in zip(lines, _shown(changed, context), changed, strict=True):
        if not is_shown:
            hidden += 1
            continue
        if hidden:
            yield "elided", [], hidden
            hidden = 0
        yield ("changed" if is_changed else "same"), line, 0
    if hidden:
        yield "elided", [], hidden


# -- HTML -------------------------------------------------------------------------------------

def _html_piece(op: str, text: str, side: str) -> str:
    """One piece of a changed paragraph as HTML for one view: ``old`` (what was deleted marked,
    insertions left out), ``new`` (the reverse) or ``both`` (inline: both marked)."""
    if op == "equal":
        return escape(text)
    if op == "delete":
        return f"<del>{escape(text)}</del>" if side in ("old", "both") else ""
    return f"<ins>{escape(text)}</ins>" if side in ("new", "both") else ""


def render_diff_html(segments: list[Segment], *, context: int = 1, keep: int = 60) -> str:
    """The diff as HTML: changed paragraphs with ``<del>``/``<ins>``, ``context`` unchanged
    paragraphs around them, the rest elided. Each changed paragraph is a ``div.dl`` holding an
    inline view (``.both``) and the old and new sides (``.old``, ``.new``): the stylesheet shows
    the inline view on narrow screens and the two sides next to each other on wide ones."""
    out: list[str] = []
    for kind, line, hidden in _walk(segments, context):
        if kind == "elided":
            out.append(f'<p class="elided">⋯ 未改动的 {hidden} 段</p>')
            continue
        if kind == "same":
            out.append(f'<p class="same">{escape(_shorten("".join(t for _, t in line), keep, "end"))}</p>')
            continue
        pieces = [
            (op, _shorten(text, keep, "start" if k == 0 else "end" if k == len(line) - 1 else "middle") if op == "equal" else text)
            for k, (op, text) in enumerate(line)
        ]
        views = "".join(
            f'<p class="{side}">{"".join(_html_piece(op, text, side) for op, text in pieces)}</p>'
            for side in ("both", "old", "new")
        )
        out.append(f'<div class="dl">{views}</div>')
    return "\n".join(out)
