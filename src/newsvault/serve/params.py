"""Query parameters of the reader server, checked: bad input is a :class:`QueryError` (a 400)."""

from __future__ import annotations

import re

from starlette.requests import Request

from ..dates import parse_day
from ..errors import NotFound, QueryError
from .openapi import MAX_INT

__all__ = ["int_param", "whole_param", "day_param", "source_param", "page_param", "article_id", "ID"]

ID = re.compile(r"[0-9a-fA-F]{4,64}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def int_param(request: Request, name: str, default: int | None, lo: int, hi: int = MAX_INT) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(f"{name} must be a whole number, not {raw[:40]!r}") from None
    if value < lo or value > hi:
        raise QueryError(f"{name} must be between {lo} and {hi}" if hi != MAX_INT or value > hi else f"{name} must be {lo} or more")
    return value


def whole_param(request: Request, name: str, default: int, lo: int, hi: int = MAX_INT) -> int:
    """Like :func:`int_param`, with a default for when the parameter is absent."""
    value = int_param(request, name, default, lo, hi)
    return default if value is None else value


def day_param(request: Request, name: str) -> int | None:
    """A whole day, ``YYYY-MM-DD`` (UTC), as the OpenAPI document says; anything else is a 400."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    refused = QueryError(f"{name} {raw[:40]!r} is not a date; use YYYY-MM-DD")  # (no other form is offered: the API takes none)
    if not _DAY.fullmatch(raw):
        raise refused
    try:
        return parse_day(raw, end=name == "until", what=name)
    except QueryError:
        raise refused from None


def source_param(request: Request) -> str | None:
    raw = request.query_params.get("source")
    return raw.strip().lower() if raw and raw.strip() else None


def page_param(request: Request) -> int:
    """``?page=N`` of an HTML page: a bad one is a page that does not exist (404)."""
    try:
        return int_param(request, "page", 1, 1) or 1
    except QueryError as e:
        raise NotFound(str(e)) from None


def article_id(request: Request, hint: str = "") -> str:
    aid: str = request.path_params["id"]
    if not ID.fullmatch(aid):
        raise NotFound(f"no article {aid[:40]!r} in this archive{hint}")
    return aid
