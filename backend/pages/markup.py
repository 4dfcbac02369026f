"""HTML built in Python with escaping by default.

Why not a template engine: jinja2 is not installed in this environment, and the pages are small. The rule
that makes this safe is the same one an autoescaping engine enforces: every value put into markup goes
through `html.escape(..., quote=True)` unless it is a `Safe` string, and a `Safe` string only comes out of
`html()` / `join()` (our own constant templates with escaped values) or `Safe(...)` on a literal we wrote.

    html("<a href='/staff/cases/{ref}'>{ref}</a>", ref=reference)

Templates are format strings written in this code base; request data is only ever an *argument*.
URLs are built from escaped path parts (`url()`), never from free text, so no `javascript:` link can be
produced from requester input.
"""

from __future__ import annotations

import html as _stdlib_html
import string
from typing import Any, Iterable, Mapping, Optional
from urllib.parse import quote, urlencode


class Safe(str):
    """A string that is already markup. Never wrap request data in it."""

    __slots__ = ()


def escape(value: Any) -> Safe:
    if isinstance(value, Safe):
        return value
    if value is None:
        return Safe("")
    return Safe(_stdlib_html.escape(str(value), quote=True))


class _EscapingFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Safe):
            return str(value)
        return escape(format(value, format_spec) if format_spec else ("" if value is None else value))


_FORMATTER = _EscapingFormatter()


def html(template: str, /, *args: Any, **kwargs: Any) -> Safe:
    """Format `template` (a constant) with every argument escaped unless it is `Safe`."""
    return Safe(_FORMATTER.vformat(template, args, kwargs))


def join(parts: Iterable[Any], separator: str = "") -> Safe:
    return Safe(escape(separator).join(escape(part) for part in parts))


def url(*segments: str, query: Optional[Mapping[str, Any]] = None) -> str:
    """A same-origin path from fixed and variable segments, each percent-encoded (no scheme can appear)."""
    path = "/" + "/".join(quote(str(segment), safe="") for segment in segments)
    if query:
        items = {k: v for k, v in query.items() if v not in (None, "", False)}
        if items:
            path += "?" + urlencode(items)
    return path
