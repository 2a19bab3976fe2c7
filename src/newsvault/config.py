"""The archive's config file, ``newsvault.toml``: archive settings and the sources it follows."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli_w

from .errors import ConfigError

CONFIG_NAME = "newsvault.toml"

__all__ = ["Config", "Source", "DEFAULT_SOURCES", "slugify", "CONFIG_NAME"]


def slugify(text: str) -> str:
    """A folder-safe source slug: lower case letters (any script), digits, '-', '_' and '.'."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[\s/\\]+", "-", text)
    text = re.sub(r"[^\w.-]", "", text).strip(".-")
    return text[:40] or "unknown"


@dataclass
class Source:
    """One outlet followed by the collector.

    ``body``: ``feed`` takes the article body from the feed item; ``page`` fetches the article
    page and extracts its main content (with ``selector`` when given, else trafilatura).
    ``category``: a regex; when set, only items with a matching category are archived.
    ``hosts``: hosts whose URLs belong to this outlet (used to place imported records).
    """

    slug: str
    name: str
    feeds: list[str]
    body: str = "feed"
    selector: str | None = None
    category: str | None = None
    interval: int = 3600
    hosts: list[str] = field(default_factory=list)
    allow_private: bool | None = None  # fetch from non-public addresses; None: the archive's [fetch] setting

    def __post_init__(self) -> None:
        if self.body not in ("feed", "page"):
            raise ConfigError(f"source {self.slug}: body must be 'feed' or 'page', not {self.body!r}")
        if slugify(self.slug) != self.slug:
            raise ConfigError(f"source slug {self.slug!r} is not a valid slug (try {slugify(self.slug)!r})")
        if self.category:
            try:
                re.compile(self.category)
            except re.error as e:
                raise ConfigError(f"source {self.slug}: invalid category regex: {e}") from None
        if self.interval < 60:
            raise ConfigError(f"source {self.slug}: interval must be at least 60 seconds")
        if self.allow_private is not None and not isinstance(self.allow_private, bool):
            raise ConfigError(f"source {self.slug}: allow_private must be true or false")

    def all_hosts(self) -> set[str]:
        hosts = {h.lower() for h in self.hosts}
        for feed in self.feeds:
            host = urlsplit(feed).hostname
            if host:
                hosts.add(host.lower())
        return hosts

    def to_toml(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], "") and not (k == "body" and v == "feed") and not (k == "interval" and v == 3600)}


# The outlets the original archivers mirrored, with the publishers' own feeds where known.
DEFAULT_SOURCES: list[Source] = [
    Source("rfi", "法广", ["https://www.rfi.fr/cn/rss"], hosts=["www.rfi.fr", "rfi.fr"]),
    Source("bbc", "BBC中文", ["https://feeds.bbci.co.uk/zhongwen/simp/rss.xml"], hosts=["www.bbc.com", "www.bbc.co.uk"]),
    Source("dw", "德国之声", ["https://rss.dw.com/rdf/rss-chi-all"], hosts=["www.dw.com", "p.dw.com"]),
    Source("voa", "美国之音", ["https://www.voachinese.com/api/zm_yqepmip"], hosts=["www.voachinese.com"]),
    Source("nyt", "纽约时报中文网", ["https://cn.nytimes.com/rss/"], hosts=["cn.nytimes.com", "cn.nytstyle.com"]),
    Source("rfa", "自由亚洲电台", ["https://www.rfa.org/mandarin/yataibaodao/rss2.xml"], hosts=["www.rfa.org"]),
    Source(
        "cdt",
        "中国数字时代",
        ["https://chinadigitaltimes.net/chinese/feed/"],
        body="page",
        selector="div.post-content",
        category=r"[\u2600-\u27bf\U0001F300-\U0001FAFF]",
        hosts=["chinadigitaltimes.net"],
    ),
    Source("zaobao", "联合早报", ["https://www.zaobao.com.sg/realtime/china/feed"], hosts=["www.zaobao.com.sg", "www.zaobao.com"]),
]


@dataclass
class Config:
    name: str = "newsvault archive"
    default_source: str | None = None
    timezone: str = "Asia/Shanghai"
    sources: list[Source] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    allow_private: bool = False  # [fetch] allow_private: fetch from loopback / private networks

    @classmethod
    def load(cls, path: Path) -> Config:
        if not path.exists():
            return cls()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path}: invalid TOML: {e}") from None
        archive = data.pop("archive", {})
        fetch = dict(data.pop("fetch", {}))
        allow_private = fetch.pop("allow_private", False)
        if not isinstance(allow_private, bool):
            raise ConfigError(f"{path}: [fetch] allow_private must be true or false")
        if fetch:
            data["fetch"] = fetch
        try:
            sources = [Source(**s) for s in data.pop("sources", [])]
        except TypeError as e:
            raise ConfigError(f"{path}: invalid [[sources]] entry: {e}") from None
        slugs = [s.slug for s in sources]
        if len(set(slugs)) != len(slugs):
            raise ConfigError(f"{path}: duplicate source slugs")
        return cls(
            name=archive.get("name", cls.name),
            default_source=archive.get("default_source"),
            timezone=archive.get("timezone", cls.timezone),
            sources=sources,
            extra=data,
            allow_private=allow_private,
        )

    def dump(self) -> str:
        archive: dict[str, Any] = {"name": self.name, "timezone": self.timezone}
        if self.default_source:
            archive["default_source"] = self.default_source
        data: dict[str, Any] = {"archive": archive, **self.extra}
        if self.allow_private:
            data["fetch"] = {**data.get("fetch", {}), "allow_private": True}
        if self.sources:
            data["sources"] = [s.to_toml() for s in self.sources]
        return tomli_w.dumps(data)

    def source(self, slug: str) -> Source | None:
        return next((s for s in self.sources if s.slug == slug), None)

    def source_for_host(self, host: str) -> str | None:
        host = host.lower()
        for s in self.sources or DEFAULT_SOURCES:
            if host in s.all_hosts():
                return s.slug
        for s in DEFAULT_SOURCES:
            if host in s.all_hosts():
                return s.slug
        return None

    def display_name(self, slug: str) -> str:
        s = self.source(slug) or next((d for d in DEFAULT_SOURCES if d.slug == slug), None)
        return s.name if s else slug
