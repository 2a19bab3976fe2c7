"""The archive's config file, ``newsvault.toml``: archive settings and the sources it follows."""

from __future__ import annotations

import functools
import ipaddress
import re
import tomllib
import unicodedata
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli_w

from .errors import ConfigError
from .layout import FOLDERS, FORMS, LIST_LINKS, LIST_ORDERS, NAMES, README_LINKS, Layout, ListForm

CONFIG_NAME = "newsvault.toml"

__all__ = ["Config", "MediaConfig", "ChangesConfig", "DigestConfig", "MailConfig", "Source", "SourceError", "DEFAULT_SOURCES", "slugify", "CONFIG_NAME"]


def slugify(text: str) -> str:
    """A folder-safe source slug: lower case letters (any script), digits, '-', '_' and '.'."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[\s/\\]+", "-", text)
    text = re.sub(r"[^\w.-]", "", text).strip(".-")
    return text[:40] or "unknown"


# ---------------------------------------------------------------------------------------------
# Validation: one problem, named by its key (``sources[2].feeds: expected a list of URLs, got 5``)
# ---------------------------------------------------------------------------------------------

_TOP_KEYS = ("archive", "fetch", "capture", "evidence", "media", "git", "site", "layout", "sources", "changes", "digest", "mail")
_LAYOUT_KEYS = ("folders", "names", "titled", "form", "opened", "lists")
_LIST_FORM_KEYS = ("file", "size", "order", "dated", "links", "root", "header", "footer", "readme")
_ARCHIVE_KEYS = ("name", "default_source", "timezone")
_FETCH_KEYS = ("allow_private", "proxy")
_CAPTURE_KEYS = ("warc",)
_MEDIA_SIZES = ("max_image_mb", "pass_mb", "source_mb", "archive_mb")
_MEDIA_KEYS = ("fetch", "dir", "hosts", *_MEDIA_SIZES)
_GIT_KEYS = ("remotes",)
_SITE_KEYS = ("base_url",)
_EVIDENCE_KEYS = ("timestamp_authorities", "timestamp_timeout", "trust_roots")
MIN_INTERVAL = 60
MAX_INTERVAL = 7 * 24 * 3600
FEED_SCHEMES = ("http", "https", "file")


class _Invalid(Exception):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def _shown(value: Any) -> str:
    """A value as the user wrote it in TOML (shortened)."""
    if isinstance(value, dict):
        text = "a table"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = repr(value)
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _no_unknown_keys(table: dict[str, Any], known: tuple[str, ...], prefix: str) -> None:
    for key in table:
        if key not in known:
            import difflib  # only to name the key meant

            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
            raise _Invalid(f"{prefix}{key}", f"unknown key ({hint})")


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise _Invalid(key, f"expected a table ([{key}]), got {_shown(value)}")
    return value


def _string(table: dict[str, Any], key: str, prefix: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(prefix + key, f"expected a non-empty string, got {_shown(value)}")
    return value


def _optional_string(table: dict[str, Any], key: str, prefix: str) -> str | None:
    if key not in table:
        return None
    return _string(table, key, prefix, default="")


def _choice(table: dict[str, Any], key: str, prefix: str, choices: tuple[str, ...]) -> str:
    value = table.get(key, choices[0])
    if value not in choices:
        raise _Invalid(prefix + key, f"expected one of {', '.join(map(repr, choices))}, got {_shown(value)}")
    return str(value)


def _layout(table: dict[str, Any]) -> Layout:
    """``[layout]``: how a continued repository names and writes its records (docs/continuing.md)."""
    return Layout(
        folders=_choice(table, "folders", "layout.", FOLDERS),
        names=_choice(table, "names", "layout.", NAMES),
        titled=_boolean(table, "titled", "layout.", default=False),
        form=_choice(table, "form", "layout.", FORMS),
        opened=_boolean(table, "opened", "layout.", default=True),
        lists=_list_form(_table(table, "lists")) if "lists" in table else None,
    )


def _list_form(table: dict[str, Any]) -> ListForm:
    """``[layout.lists]``: the form of the lists the original wrote (docs/continuing.md)."""
    _no_unknown_keys(table, _LIST_FORM_KEYS, "layout.lists.")
    default = ListForm()
    texts = {}
    for key in ("header", "footer", "root"):
        value = table.get(key, getattr(default, key))
        if not isinstance(value, str):
            raise _Invalid(f"layout.lists.{key}", f"expected a string, got {_shown(value)}")
        texts[key] = value
    file = _string(table, "file", "layout.lists.", default=default.file)
    if not file.endswith(".md") or file.startswith("/") or ".." in file.split("/"):
        raise _Invalid("layout.lists.file", f"expected a .md path inside the archive, got {_shown(file)}")
    size = table.get("size", default.size)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 100_000:
        raise _Invalid("layout.lists.size", f"expected a whole number from 1 to 100000, got {_shown(size)}")
    return ListForm(
        file=file,
        size=size,
        order=_choice(table, "order", "layout.lists.", LIST_ORDERS),
        dated=_boolean(table, "dated", "layout.lists.", default=default.dated),
        links=_choice(table, "links", "layout.lists.", LIST_LINKS),
        readme=_choice(table, "readme", "layout.lists.", README_LINKS),
        **texts,
    )


def _boolean(table: dict[str, Any], key: str, prefix: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise _Invalid(prefix + key, f"expected true or false, got {_shown(value)}")
    return value


def _private_access(table: dict[str, Any], key: str, prefix: str) -> bool | tuple[str, ...]:
    """``allow_private``: true or false, or the addresses and networks a fetch may reach
    (``["127.0.0.1", "10.0.0.0/8"]``): every connection, redirect hops included, is held to it."""
    value = table.get(key, False)
    if isinstance(value, bool):
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(prefix + key, f"expected true, false or a list of addresses and networks such as [\"127.0.0.1\", \"10.0.0.0/8\"], got {_shown(value)}")
    for v in value:
        try:
            ipaddress.ip_network(v.strip(), strict=False)
        except ValueError:
            raise _Invalid(prefix + key, f"{v!r} is not an IP address or network (host names are not accepted: they can resolve anywhere)") from None
    return tuple(v.strip() for v in value) or False


def _megabytes(table: dict[str, Any], key: str, prefix: str, default: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**7:
        raise _Invalid(prefix + key, f"expected a number of megabytes (0 for no limit), got {_shown(value)}")
    return value


def _media(data: dict[str, Any]) -> MediaConfig:
    table = _table(data, "media")
    _no_unknown_keys(table, _MEDIA_KEYS, "media.")
    sizes = {k: _megabytes(table, k, "media.", getattr(MediaConfig, k)) for k in _MEDIA_SIZES}
    if sizes["max_image_mb"] == 0:
        raise _Invalid("media.max_image_mb", "expected at least 1 (megabytes per image)")
    hosts = _string_list(table["hosts"], "media.hosts", "a list of host names") if "hosts" in table else None
    # An archive written before [media] existed does not start fetching images by itself.
    return MediaConfig(fetch=_boolean(table, "fetch", "media.", default=False), dir=_optional_string(table, "dir", "media."), hosts=hosts, **sizes)


def _sources(value: Any) -> list[Source]:
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise _Invalid("sources", f"expected [[sources]] tables, got {_shown(value)}")
    sources: list[Source] = []
    for i, table in enumerate(value, start=1):
        prefix = f"sources[{i}]."
        _no_unknown_keys(table, tuple(f.name for f in fields(Source)), prefix)
        for required in ("slug", "feeds"):
            if required not in table:
                raise _Invalid(prefix + required, "missing")
        sources.append(_source(table, prefix))
    slugs = [s.slug for s in sources]
    for i, slug in enumerate(slugs, start=1):
        if slugs.index(slug) != i - 1:
            raise _Invalid(f"sources[{i}].slug", f"{slug!r} is used by sources[{slugs.index(slug) + 1}] already")
    return sources


def _source(table: dict[str, Any], prefix: str) -> Source:
    slug = _string(table, "slug", prefix, default="")
    values: dict[str, Any] = {"slug": slug, "name": _string(table, "name", prefix, default=slug)}
    for key in ("body", "selector", "category"):
        if key in table:
            values[key] = _string(table, key, prefix, default="")
    values["feeds"] = _string_list(table.get("feeds"), prefix + "feeds", "a list of URLs")
    values["hosts"] = _string_list(table.get("hosts", []), prefix + "hosts", "a list of host names")
    if "interval" in table:
        interval = table["interval"]
        if isinstance(interval, bool) or not isinstance(interval, int):
            raise _Invalid(prefix + "interval", f"expected a number of seconds, got {_shown(interval)}")
        values["interval"] = interval
    if "allow_private" in table:
        values["allow_private"] = _private_access(table, "allow_private", prefix)
    if "proxy" in table:
        values["proxy"] = _proxy(table, prefix)
    try:
        return Source(**values)
    except SourceError as e:
        raise _Invalid(prefix + e.key, e.problem) from None


def _string_list(value: Any, key: str, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(key, f"expected {what}, got {_shown(value)}")
    return list(value)


def _proxy(table: dict[str, Any], prefix: str) -> str | None:
    """``proxy``: an http(s):// or socks5:// proxy URL (a source may also say ``"direct"``)."""
    from .fetch._proxy import DIRECT, proxy_problem

    if "proxy" not in table:
        return None
    value = _string(table, "proxy", prefix, default="")
    problem = proxy_problem(value)
    if problem is None and value == DIRECT and not prefix.startswith("sources"):
        problem = "'direct' is for a source (leave the key out to fetch directly)"
    if problem:
        raise _Invalid(prefix + "proxy", problem)
    return value


_REMOTE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _remotes(git: dict[str, Any]) -> list[str] | None:
    if "remotes" not in git:
        return None
    value = git["remotes"]
    names = _string_list(value, "git.remotes", "a list of git remote names")
    if not names:
        raise _Invalid("git.remotes", "expected at least one remote name (leave the key out to push to every remote)")
    for name in names:
        if not _REMOTE_NAME.fullmatch(name):
            raise _Invalid("git.remotes", f"{name!r} is not a git remote name (as 'git remote' lists them, e.g. 'origin')")
    if len(set(names)) != len(names):
        raise _Invalid("git.remotes", "a remote is named twice")
    return names


@dataclass
class EvidenceConfig:
    """``[evidence]``: RFC 3161 time-stamp authorities asked for a token of each pass's manifest
    (in order, the first that answers wins; none: off), seconds to wait for each, and the PEM
    files of the roots ``verify`` trusts their certificates to chain to."""

    timestamp_authorities: list[str] = field(default_factory=list)
    timestamp_timeout: float = 10.0
    trust_roots: list[str] = field(default_factory=list)

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.timestamp_authorities:
            out["timestamp_authorities"] = list(self.timestamp_authorities)
        if self.timestamp_timeout != EvidenceConfig.timestamp_timeout:
            out["timestamp_timeout"] = self.timestamp_timeout
        if self.trust_roots:
            out["trust_roots"] = list(self.trust_roots)
        return out


def _evidence(data: dict[str, Any]) -> EvidenceConfig:
    table = _table(data, "evidence")
    _no_unknown_keys(table, _EVIDENCE_KEYS, "evidence.")
    urls = _string_list(table.get("timestamp_authorities", []), "evidence.timestamp_authorities", "a list of http(s) URLs")
    for url in urls:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise _Invalid("evidence.timestamp_authorities", f"{url!r} is not an http(s) URL")
    timeout = table.get("timestamp_timeout", EvidenceConfig.timestamp_timeout)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 300:
        raise _Invalid("evidence.timestamp_timeout", f"expected seconds between 0 and 300, got {_shown(timeout)}")
    roots = _string_list(table.get("trust_roots", []), "evidence.trust_roots", "a list of PEM file paths")
    return EvidenceConfig(urls, float(timeout), roots)


def _check_source(s: Source) -> None:
    """The rules every source follows, however it was made (TOML, ``source add``, OPML, code)."""
    if slugify(s.slug) != s.slug:
        raise _Invalid("slug", f"{s.slug!r} is not a valid slug (try {slugify(s.slug)!r})")
    if s.body not in ("feed", "page"):
        raise _Invalid("body", f"must be 'feed' or 'page', not {_shown(s.body)}")
    if not s.feeds:
        raise _Invalid("feeds", "expected at least one feed URL, got an empty list")
    for url in s.feeds:
        parts = urlsplit(url)
        if parts.scheme.lower() not in FEED_SCHEMES or (parts.scheme.lower() != "file" and not parts.hostname):
            raise _Invalid("feeds", f"{url!r} is not an http(s):// or file:// URL")
    if s.category:
        try:
            re.compile(s.category)
        except re.error as e:
            raise _Invalid("category", f"invalid category regex: {e}") from None
    if s.selector:
        from .extract import check_selector

        try:
            check_selector(s.selector)
        except ValueError as e:
            raise _Invalid("selector", str(e)) from None
    if not MIN_INTERVAL <= s.interval <= MAX_INTERVAL:
        raise _Invalid("interval", f"must be between {MIN_INTERVAL} seconds and {MAX_INTERVAL // 86400} days, got {s.interval}")


def _check_config(config: Config) -> None:
    try:
        _ = config.zone
    except (ZoneInfoNotFoundError, ValueError):
        raise _Invalid("archive.timezone", f"unknown time zone {config.timezone!r} (use an IANA name such as 'Asia/Shanghai' or 'UTC')") from None
    if config.default_source is not None and slugify(config.default_source) != config.default_source:
        raise _Invalid("archive.default_source", f"{config.default_source!r} is not a valid slug (try {slugify(config.default_source)!r})")


class SourceError(ConfigError):
    """A source breaks a rule; ``key`` names the field (``feeds``, ``selector``, …)."""

    def __init__(self, slug: str, key: str, problem: str) -> None:
        super().__init__(f"source {slug}: {key}: {problem}")
        self.key = key
        self.problem = problem


@dataclass
class Source:
    """One outlet followed by the collector.

    ``body``: ``feed`` takes the article body from the feed item; ``page`` fetches the article
    page and extracts its main content (with ``selector`` when given, else trafilatura).
    ``category``: a regex; when set, only items with a matching category are archived.
    ``hosts``: hosts whose URLs belong to this outlet (used to place imported records).
    ``allow_private``: the private or loopback addresses this source's fetches may reach: all
    (True), none (False), or those inside the listed networks (``None``: the archive's
    ``[fetch] allow_private`` decides). ``proxy``: fetch this source
    through this proxy URL, or ``"direct"`` for none (``None``: the archive's ``[fetch] proxy``).
    """

    slug: str
    name: str
    feeds: list[str]
    body: str = "feed"
    selector: str | None = None
    category: str | None = None
    interval: int = 3600
    hosts: list[str] = field(default_factory=list)
    allow_private: bool | tuple[str, ...] | None = None
    proxy: str | None = None

    def __post_init__(self) -> None:
        try:
            _check_source(self)
        except _Invalid as e:
            raise SourceError(self.slug, e.key, e.problem) from None

    def all_hosts(self) -> set[str]:
        hosts = {h.lower() for h in self.hosts}
        for feed in self.feeds:
            host = urlsplit(feed).hostname
            if host:
                hosts.add(host.lower())
        return hosts

    def to_toml(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if v not in (None, [], "") and not (k == "body" and v == "feed") and not (k == "interval" and v == 3600)}
        if isinstance(self.allow_private, tuple):
            out["allow_private"] = list(self.allow_private)
        return out


# The outlets the original archivers mirrored, with the publishers' own feeds where known. Made
# on first use (``DEFAULT_SOURCES``): checking CDT's selector loads cssselect, which a pass over
# the archive's own sources may never need.
@functools.cache
def default_sources() -> list[Source]:
    return _make_default_sources()


def __getattr__(name: str) -> Any:
    if name == "DEFAULT_SOURCES":
        return default_sources()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    DEFAULT_SOURCES: list[Source]


def _make_default_sources() -> list[Source]:
    return [
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
class MediaConfig:
    """``[media]``: whether collect and recheck fetch article images, where they are kept, and
    the byte limits (megabytes; 0 means no limit) — see docs/media.md."""

    fetch: bool = False
    dir: str | None = None  # None: media/ inside the archive
    hosts: list[str] | None = None  # only images on these hosts are fetched (None: any host)
    max_image_mb: int = 10
    pass_mb: int = 200
    source_mb: int = 0
    archive_mb: int = 0

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fetch": self.fetch}
        if self.dir:
            out["dir"] = self.dir
        if self.hosts is not None:
            out["hosts"] = list(self.hosts)
        for f in fields(self):
            # The caps that bound a fetching archive are written out, so its file shows them.
            if f.name in _MEDIA_SIZES and (getattr(self, f.name) != f.default or (self.fetch and f.name in ("max_image_mb", "pass_mb"))):
                out[f.name] = getattr(self, f.name)
        return out

    def wants(self, url: str) -> bool:
        """Whether ``hosts`` lets an image at ``url`` be fetched."""
        if self.hosts is None:
            return True
        host = (urlsplit(url).hostname or "").lower()
        return host in {h.lower() for h in self.hosts}


@dataclass
class Config:
    """``newsvault.toml``. Every key is validated on load; an unknown key is an error that names it
    (a misspelt key silently ignored would archive the wrong thing for months)."""

    name: str = "newsvault archive"
    default_source: str | None = None
    timezone: str = "Asia/Shanghai"
    allow_private: bool | tuple[str, ...] = False
    proxy: str | None = None  # ``[fetch] proxy``: every fetch goes through it (docs/save.md)
    # ``[capture] warc``: record every HTTP exchange as WARC evidence under ``warc/``. A new
    # archive is created with it on (``init`` writes the key); a file without the key predates
    # it, so it reads as off and an existing archive does not start growing WARC files unasked.
    warc: bool = True
    sources: list[Source] = field(default_factory=list)
    media: MediaConfig = field(default_factory=MediaConfig)
    evidence: EvidenceConfig = field(default_factory=EvidenceConfig)
    # ``[git] remotes``: where ``collect --push`` pushes, in order; None: every configured remote
    git_remotes: list[str] | None = None
    # A continued repository's own layout (newsvault.layout); None: newsvault's.
    layout: Layout | None = None
    changes: ChangesConfig = field(default_factory=lambda: ChangesConfig())
    digest: DigestConfig = field(default_factory=lambda: DigestConfig())
    mail: MailConfig | None = None
    # ``[site] base_url``: where the published site is read (https://owner.github.io/repo/), to
    # link an article's page from what points to it (the answer to a save request)
    site_url: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        """``timezone`` as a ZoneInfo (local times on lists, pages and ``show``)."""
        return ZoneInfo(self.timezone)

    @classmethod
    def load(cls, path: Path) -> Config:
        if not path.exists():
            return cls(warc=False)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path}: invalid TOML: {e}") from None
        try:
            return cls._from_toml(data)
        except _Invalid as e:
            raise ConfigError(f"{path}: {e.key}: {e.problem}") from None

    @classmethod
    def _from_toml(cls, data: dict[str, Any]) -> Config:
        _no_unknown_keys(data, _TOP_KEYS, "")
        archive = _table(data, "archive")
        _no_unknown_keys(archive, _ARCHIVE_KEYS, "archive.")
        fetch = _table(data, "fetch")
        _no_unknown_keys(fetch, _FETCH_KEYS, "fetch.")
        capture = _table(data, "capture")
        _no_unknown_keys(capture, _CAPTURE_KEYS, "capture.")
        git = _table(data, "git")
        _no_unknown_keys(git, _GIT_KEYS, "git.")
        site = _table(data, "site")
        _no_unknown_keys(site, _SITE_KEYS, "site.")
        site_url = _optional_string(site, "base_url", "site.")
        if site_url is not None and not re.match(r"https?://[^/\s]+", site_url):
            raise _Invalid("site.base_url", f"expected an http(s):// address, got {_shown(site_url)}")
        layout = _table(data, "layout")
        _no_unknown_keys(layout, _LAYOUT_KEYS, "layout.")
        config = cls(
            name=_string(archive, "name", "archive.", default=cls.name),
            default_source=_optional_string(archive, "default_source", "archive."),
            timezone=_string(archive, "timezone", "archive.", default=cls.timezone),
            allow_private=_private_access(fetch, "allow_private", "fetch."),
            proxy=_proxy(fetch, "fetch."),
            warc=_boolean(capture, "warc", "capture.", default=False),
            sources=_sources(data.get("sources", [])),
            media=_media(data),
            evidence=_evidence(data),
            git_remotes=_remotes(git),
            site_url=site_url,
            layout=_layout(layout) if layout else None,
            **_reach(data),
        )
        _check_config(config)
        return config

    def dump(self) -> str:
        archive: dict[str, Any] = {"name": self.name, "timezone": self.timezone}
        if self.default_source:
            archive["default_source"] = self.default_source
        data: dict[str, Any] = {"archive": archive}
        fetch: dict[str, Any] = {}
        if isinstance(self.allow_private, tuple):
            fetch["allow_private"] = list(self.allow_private)
        elif self.allow_private:
            fetch["allow_private"] = True
        if self.proxy:
            fetch["proxy"] = self.proxy
        if fetch:
            data["fetch"] = fetch
        data["capture"] = {"warc": self.warc}
        if self.evidence.to_toml():
            data["evidence"] = self.evidence.to_toml()
        if self.media != MediaConfig():
            data["media"] = self.media.to_toml()
        if self.git_remotes is not None:
            data["git"] = {"remotes": list(self.git_remotes)}
        if self.site_url:
            data["site"] = {"base_url": self.site_url}
        if self.layout is not None:
            data["layout"] = self.layout.to_toml()
        data.update(_reach_toml(self))
        if self.sources:
            data["sources"] = [s.to_toml() for s in self.sources]
        return tomli_w.dumps(data)

    def private_allowed(self, source: Source) -> bool | tuple[str, ...]:
        """Which private or loopback addresses ``source``'s fetches may reach (see ``Source``)."""
        return self.allow_private if source.allow_private is None else source.allow_private

    def proxy_for(self, source: Source | str | None) -> str | None:
        """The proxy for fetches of ``source`` (a Source or slug), as ``proxy=`` of
        :meth:`Fetcher.get`: the source's own ``proxy`` (``"direct"``: none), else ``[fetch]
        proxy``; None when neither is set (the fetch policy's then applies)."""
        src = self.source(source) if isinstance(source, str) else source
        if src is not None and src.proxy is not None:
            return src.proxy
        return self.proxy

    def source(self, slug: str) -> Source | None:
        return next((s for s in self.sources if s.slug == slug), None)

    def source_for_host(self, host: str) -> str | None:
        return self._host_map().get(host.lower())

    def _host_map(self) -> dict[str, str]:
        """host → the slug of the first source that owns it (the configured sources, then the
        built-in ones). Kept until the sources change: every saved URL and media file asks, and
        reading each source's feed URLs again cost more than archiving the page."""
        key = tuple((s.slug, tuple(s.hosts), tuple(s.feeds)) for s in self.sources)
        memo: tuple[object, dict[str, str]] | None = self.__dict__.get("_hosts")
        if memo is not None and memo[0] == key:
            return memo[1]
        owners: dict[str, str] = {}
        for s in [*self.sources, *default_sources()]:
            for h in s.all_hosts():
                owners.setdefault(h, s.slug)
        self.__dict__["_hosts"] = (key, owners)
        return owners

    def display_name(self, slug: str) -> str:
        s = self.source(slug) or next((d for d in default_sources() if d.slug == slug), None)
        return s.name if s else slug



# ---------------------------------------------------------------------------------------------
# [changes], [digest], [mail]: which edits are announced, the daily digest and where it is sent
# (docs/reach.md)
# ---------------------------------------------------------------------------------------------

MINOR_WAYS = ("boilerplate", "markup", "whitespace", "punctuation")  # preserve/significance.py
_CHANGES_KEYS = ("minor", "minor_chars")
_DIGEST_KEYS = ("timezone", "hourly")
_MAIL_KEYS = ("host", "port", "sender", "to", "starttls", "user", "password_env", "timeout")


@dataclass
class ChangesConfig:
    """``[changes]``: the ways of differing that make a change minor (kept, not announced), and
    how many characters of real text edit still count as minor (0: none)."""

    minor: tuple[str, ...] = MINOR_WAYS
    minor_chars: int = 0


@dataclass
class DigestConfig:
    """``[digest]``: the zone whose calendar day a digest covers (None: the archive's); with
    ``hourly``, every ``collect --commit`` writes the day's digest into ``site/digest/`` and
    commits it with the records (docs/reach.md)."""

    timezone: str | None = None
    hourly: bool = False


@dataclass
class MailConfig:
    """``[mail]``: the SMTP server ``digest --mail`` sends through. The password is never in the
    file: ``password_env`` names the environment variable that holds it."""

    host: str
    sender: str
    to: list[str]
    port: int = 25
    starttls: bool = False
    user: str | None = None
    password_env: str | None = None
    timeout: int = 30


def _reach(data: dict[str, Any]) -> dict[str, Any]:
    changes = _table(data, "changes")
    _no_unknown_keys(changes, _CHANGES_KEYS, "changes.")
    minor = changes.get("minor", list(MINOR_WAYS))
    if not isinstance(minor, list) or not all(isinstance(w, str) and w in MINOR_WAYS for w in minor):
        raise _Invalid("changes.minor", f"expected a list of {', '.join(MINOR_WAYS)}, got {_shown(minor)}")
    digest = _table(data, "digest")
    _no_unknown_keys(digest, _DIGEST_KEYS, "digest.")
    tz = _optional_string(digest, "timezone", "digest.")
    if tz is not None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise _Invalid("digest.timezone", f"unknown time zone {tz!r} (use an IANA name such as 'Asia/Shanghai')") from None
    out: dict[str, Any] = {
        "changes": ChangesConfig(tuple(minor), _megabytes(changes, "minor_chars", "changes.", 0)),
        "digest": DigestConfig(tz, _boolean(digest, "hourly", "digest.", False)),
    }
    if "mail" in data:
        out["mail"] = _mail(_table(data, "mail"))
    return out


def _mail(table: dict[str, Any]) -> MailConfig:
    _no_unknown_keys(table, _MAIL_KEYS, "mail.")
    for required in ("host", "sender", "to"):
        if required not in table:
            raise _Invalid("mail." + required, "missing")
    to = table["to"]
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to or not all(isinstance(t, str) and "@" in t for t in to):
        raise _Invalid("mail.to", f"expected an address or a list of addresses, got {_shown(to)}")
    port = table.get("port", 25)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise _Invalid("mail.port", f"expected a port number, got {_shown(port)}")
    timeout = table.get("timeout", 30)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 0 < timeout <= 600:
        raise _Invalid("mail.timeout", f"expected seconds (1–600), got {_shown(timeout)}")
    return MailConfig(
        host=_string(table, "host", "mail.", ""), sender=_string(table, "sender", "mail.", ""), to=list(to), port=port,
        starttls=_boolean(table, "starttls", "mail.", False), user=_optional_string(table, "user", "mail."),
        password_env=_optional_string(table, "password_env", "mail."), timeout=timeout,
    )


def _reach_toml(config: Config) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if config.changes != ChangesConfig():
        data["changes"] = {"minor": list(config.changes.minor), "minor_chars": config.changes.minor_chars}
    if config.digest != DigestConfig():
        data["digest"] = {k: v for k, v in asdict(config.digest).items() if v not in (None, False)}
    if config.mail is not None:
        m = config.mail
        data["mail"] = {k: v for k, v in asdict(m).items() if v is not None}
    return data
