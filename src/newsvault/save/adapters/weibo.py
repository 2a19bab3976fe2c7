"""Weibo statuses. Every URL form names one status id: ``m.weibo.cn/status/<id>``,
``/detail/<id>``, ``/<uid>/<id>``, ``weibo.com/<uid>/<bid>`` (``bid``: the id in base 62, four
characters to seven digits) and ``weibointl.api.weibo.com/share/…?weibo_id=<id>``. The text
comes from the JSON endpoint ``m.weibo.cn/statuses/show?id=<id>``: ``data.text`` (HTML),
``data.status_title``, ``data.user.screen_name``, ``data.created_at``, ``data.pics[].large.url``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from . import Adapter

_B62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def bid_to_id(bid: str) -> str:
    """``weibo.com/<uid>/<bid>``'s base-62 ``bid`` as the numeric status id."""
    digits = []
    for end in range(len(bid), 0, -4):
        chunk = bid[max(0, end - 4):end]
        n = 0
        for c in chunk:
            n = n * 62 + _B62.index(c)
        digits.append(str(n).zfill(7) if end - 4 > 0 else str(n))
    return "".join(reversed(digits))


def status_id(url: str) -> str | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "weibointl.api.weibo.com":
        found = parse_qs(parts.query).get("weibo_id", [""])[0]
        return found if found.isdigit() else None
    m = re.fullmatch(r"/(?:status|detail)/(\w+)/?", parts.path) or re.fullmatch(r"/\d+/(\w+)/?", parts.path)
    if not m:
        return None
    token = m.group(1)
    if token.isdigit():
        return token
    return bid_to_id(token) if all(c in _B62 for c in token) and len(token) <= 12 else None


def canonical(url: str) -> str:
    sid = status_id(url)
    return f"https://m.weibo.cn/status/{sid}" if sid else url


def api(url: str) -> str | None:
    sid = status_id(url)
    scheme = urlsplit(url).scheme or "https"
    return f"{scheme}://m.weibo.cn/statuses/show?id={sid}" if sid else None


# The status endpoint answers a mobile browser (the reference archivers send one).
MOBILE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)


WEIBO = Adapter(
    name="weibo",
    hosts=("m.weibo.cn", "weibo.com", "www.weibo.com", "weibo.cn", "weibointl.api.weibo.com"),
    path=r"^/(status/|detail/|\d+/\w+|share/)",
    user_agent=MOBILE_SAFARI,
    gone=("该微博已被删除", "该微博不存在", "由于博主设置，目前内容暂不可见", "抱歉，此微博已被作者删除", "该内容已被作者删除"),
    canonical=canonical,
    api=api,
    json_title="status_title",
    json_author="user.screen_name",
    json_body="text",
    json_time="created_at",
    json_pictures="pics",
)
