"""The OpenAPI 3 document of the JSON API (written by hand: the API is small and stable)."""

from __future__ import annotations

from typing import Any

from ..search.query import MAX_LIMIT, MAX_QUERY

# Bigger numbers in query parameters (offset, rev, page) are refused: SQLite integers are 64-bit.
MAX_INT = 1_000_000_000

_ERROR = {
    "description": "An error, in the user's terms",
    "content": {
        "application/json": {
            "schema": {"$ref": "#/components/schemas/Error"},
        }
    },
}


def _date_param(name: str, doc: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": doc + " `YYYY-MM-DD` (a whole day, UTC).",
        "schema": {"type": "string", "format": "date"},
    }


_SOURCE = {"name": "source", "in": "query", "required": False, "description": "Only articles of this source (slug).", "schema": {"type": "string"}}
_LIMIT = {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 20}}
_OFFSET = {"name": "offset", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0, "maximum": MAX_INT, "default": 0}}
_NULLABLE_INT = {"type": "integer", "nullable": True}

# The document, in parts (a hand-written literal of the small, stable API).
# What the article list and search both take: a source, a date range, a page.
_FILTERS_AND_PAGE = [_SOURCE, _date_param("since", "Published on or after."), _date_param("until", "Published on or before."), _LIMIT, _OFFSET]

_PATHS: dict[str, Any] = {
    "/api/articles": {
        "get": {
            "operationId": "listArticles",
            "summary": "Articles, newest first",
            "parameters": [
                *_FILTERS_AND_PAGE,
            ],
            "responses": {
                "200": {
                    "description": "A page of articles",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ArticleList"}}},
                },
                "400": _ERROR,
            },
        }
    },
    "/api/articles/{id}": {
        "get": {
            "operationId": "getArticle",
            "summary": "One article: its latest version (or version `rev`), body sanitised",
            "parameters": [
                {"name": "id", "in": "path", "required": True, "description": "Article id (12 hex digits) or a unique prefix of 4 or more.", "schema": {"type": "string"}},
                {"name": "rev", "in": "query", "required": False, "description": "Version number, 0 = first.", "schema": {"type": "integer", "minimum": 0, "maximum": MAX_INT}},
            ],
            "responses": {
                "200": {
                    "description": "The article",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Article"}}},
                },
                "400": _ERROR,
                "404": _ERROR,
            },
        }
    },
    "/api/search": {
        "get": {
            "operationId": "search",
            "summary": "Full-text search, best matches first",
            "description": 'Query language: words (all must match), "phrases", OR, -exclusion, title:word, '
            "source:slug, since:YYYY-MM-DD, until:YYYY-MM-DD.",
            "parameters": [
                {"name": "q", "in": "query", "required": True, "description": f"The query (at most {MAX_QUERY} characters). Queries with nothing to look for (only punctuation, only exclusions or filters) are refused with 400.", "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY}},
                *_FILTERS_AND_PAGE,
            ],
            "responses": {
                "200": {
                    "description": "Matches",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResults"}}},
                },
                "400": _ERROR,
            },
        }
    },
}

# The fields every article-shaped answer starts with (summary, article, search hit).
_ARTICLE_FIELDS: dict[str, Any] = {
    "id": {"type": "string"},
    "source": {"type": "string"},
    "source_name": {"type": "string"},
    "title": {"type": "string"},
}

_COMPONENTS: dict[str, Any] = {
    "schemas": {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["status", "message"],
                    "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
                }
            },
        },
        "ArticleSummary": {
            "type": "object",
            "required": ["id", "source", "title", "url", "published", "versions"],
            "properties": {
                **_ARTICLE_FIELDS,
                "url": {"type": "string"},
                "published": _NULLABLE_INT,
                "versions": {"type": "integer", "minimum": 1},
            },
        },
        "ArticleList": {
            "type": "object",
            "required": ["articles", "total", "limit", "offset"],
            "properties": {
                "articles": {"type": "array", "items": {"$ref": "#/components/schemas/ArticleSummary"}},
                "total": {"type": "integer", "minimum": 0},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
            },
        },
        "Version": {
            "type": "object",
            "required": ["rev", "title", "seen"],
            "properties": {"rev": {"type": "integer"}, "label": {"type": "string"}, "title": {"type": "string"}, "seen": _NULLABLE_INT, "content_hash": {"type": "string"},
                           "change": {"type": "object", "nullable": True, "description": "+inserted −deleted characters against the version before"}},
        },
        "Article": {
            "type": "object",
            "required": ["id", "source", "title", "url", "published", "rev", "versions", "body_html"],
            "properties": {
                **_ARTICLE_FIELDS,
                "url": {"type": "string"},
                "canonical_url": {"type": "string"},
                "published": _NULLABLE_INT,
                "rev": {"type": "integer"},
                "versions": {"type": "array", "items": {"$ref": "#/components/schemas/Version"}},
                "body_html": {"type": "string", "description": "Sanitised HTML (allow-list; no scripts, styles or event handlers)."},
            },
        },
        "SearchHit": {
            "type": "object",
            "required": ["id", "source", "title", "published", "score", "snippet", "snippet_html"],
            "properties": {
                **_ARTICLE_FIELDS,
                "title_html": {"type": "string"},
                "published": _NULLABLE_INT,
                "score": {"type": "number"},
                "snippet": {"type": "string"},
                "snippet_html": {"type": "string", "description": "Escaped text; matches wrapped in <mark>."},
            },
        },
        "SearchResults": {
            "type": "object",
            "required": ["query", "total", "results", "limit", "offset"],
            "properties": {
                "query": {"type": "string"},
                "total": {"type": "integer", "minimum": 0, "description": "Every match, exactly; page through them with offset."},
                "results": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
            },
        },
    }
}


def openapi_document(title: str = "newsvault") -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"{title} reader API",
            "version": "1",
            "description": "Read-only access to a newsvault archive: articles, their versions, and full-text search "
            "(Chinese-aware; Simplified and Traditional find each other).",
        },
        "paths": _PATHS,
        "components": _COMPONENTS,
    }
