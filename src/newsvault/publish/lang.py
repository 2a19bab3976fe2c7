"""The language of a text, for ``<html lang>`` and Atom ``xml:lang``: zh-Hans, zh-Hant, zh or en.

Chinese text is told apart by script: a character that OpenCC's ``t2s`` changes exists only in
Traditional writing, one that ``s2t`` changes only in Simplified. Text in Han script with more
Traditional-only than Simplified-only characters is ``zh-Hant``, the reverse ``zh-Hans``, neither
``zh``; text that is mostly Latin letters is ``en`` (the English articles of these outlets).
Only the start of a text is looked at, and OpenCC runs once per process (over every Han
character), so a site of 100,000 pages pays little for it.
"""

from __future__ import annotations

import re

__all__ = ["detect_lang", "prepare", "DEFAULT_LANG"]

DEFAULT_LANG = "zh"
SAMPLE = 300  # characters looked at
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_TAG = re.compile(r"<[^>]*>|&[#\w]+;")
_classes: tuple[re.Pattern[str], re.Pattern[str]] | None = None


def _script_classes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Two character classes: Traditional-only and Simplified-only Han characters. Built once
    per process from OpenCC (one conversion of every Han character each way, ~0.1 s), so that
    counting them in a text is one regex call."""
    global _classes
    if _classes is None:
        import opencc

        chars = [chr(c) for lo, hi in _HAN_RANGES for c in range(lo, hi + 1)]
        joined = "\n".join(chars)  # separated, so that no phrase rule spans two characters
        simplified = opencc.OpenCC("t2s").convert(joined).split("\n")
        traditional = opencc.OpenCC("s2t").convert(joined).split("\n")
        trad = [c for c, s in zip(chars, simplified, strict=True) if s != c]
        simp = [c for c, t, s in zip(chars, traditional, simplified, strict=True) if t != c and s == c]
        _classes = (re.compile(f"[{''.join(trad)}]"), re.compile(f"[{''.join(simp)}]"))
    return _classes


def prepare() -> None:
    """Build the character classes now (before forking workers, so they share them)."""
    _script_classes()


def detect_lang(text: str, *, html: bool = False) -> str:
    """``zh-Hans``, ``zh-Hant``, ``zh`` (Han script, undecided) or ``en`` (mostly Latin letters);
    :data:`DEFAULT_LANG` when the text gives no sign."""
    if html:
        text = _TAG.sub(" ", text[: SAMPLE * 4])
    sample = text[:SAMPLE]
    han = len(_HAN.findall(sample))
    latin = len(_LATIN.findall(sample))
    if not han:
        return "en" if latin else DEFAULT_LANG
    if latin > 4 * han:
        return "en"  # an English article quoting a Chinese name
    trad, simp = _script_classes()
    score = len(trad.findall(sample)) - len(simp.findall(sample))
    return "zh-Hant" if score > 0 else "zh-Hans" if score < 0 else DEFAULT_LANG
