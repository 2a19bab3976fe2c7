"""WeChat public-account posts (mp.weixin.qq.com).

Two page types: articles (``#activity-name``, the account in ``#js_name``) and picture posts
(title in ``og:title``, account in ``.account_nickname_inner``); the body is ``#js_content``
with lazy images (``data-src``); the time is a Unix time in an inline script
(``var a="…",b="<unix>",c="<date>";`` or ``var ct = "<unix>"``). A post has two URL forms,
``/s/<id>`` and ``/s?__biz=…&mid=…&idx=…&sn=…``; the page names the second in ``og:url``, which
is the canonical one (only those four parameters, in that order, https).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from . import Adapter

_KEYS = ("__biz", "mid", "idx", "sn")


def canonical(url: str) -> str:
    parts = urlsplit(url.replace("&amp;", "&"))
    path = parts.path.rstrip("/") or "/s"
    if path.startswith("/s/"):
        return f"https://mp.weixin.qq.com{path}"
    params = dict(parse_qsl(parts.query))
    if all(params.get(k) for k in _KEYS):
        return "https://mp.weixin.qq.com/s?" + urlencode([(k, params[k]) for k in _KEYS], safe="=")
    return f"https://mp.weixin.qq.com{path}" + (f"?{parts.query}" if parts.query else "")


# WeChat's own in-app browser on Android: the post as the app shows it (other clients may get a
# "请在微信客户端打开链接" page or a reduced one).
MOBILE_WECHAT = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
    "Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F35) "
    "WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)


WECHAT = Adapter(
    name="wechat",
    hosts=("mp.weixin.qq.com",),
    path=r"^/s(/|$)",
    user_agent=MOBILE_WECHAT,
    title=("#activity-name", "meta[property='og:title']"),
    author=("#js_name", ".account_nickname_inner", "meta[name='author']"),
    time_script=r'(?:\bb\s*=\s*"|\bct\s*=\s*")(?P<unix>\d{9,11})"',
    body=("#js_content",),
    drop=("script", "style", "#js_pc_qr_code", ".qr_code_pc", "#js_tags"),
    gone=("该内容已被发布者删除", "此内容因违规无法查看", "此内容被多人投诉", "该公众号已迁移", "此帐号已被屏蔽", "此帐号已自主注销"),
    canonical=canonical,
    canonical_from_page=("meta[property='og:url']",),
)
