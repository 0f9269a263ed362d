"""Link URLs in one canonical form: absolute, no fragment, no tracking parameters.

Two spellings of one address (relative vs absolute, ``%e3`` vs ``%E3``, ``:443``,
``#top``, ``utm_*``) must give one identity, or a reformatted page looks like a
list whose every item was replaced.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from lxml import etree

# Schemes that never name a page.
DEAD_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:")
# Tracking parameters that mailers and social sites append; they never change the page.
_TRACKING_PARAM = re.compile(r"^(utm_[^=]*|fbclid|gclid)$", re.IGNORECASE)
# Characters left alone when re-quoting a path or query: RFC 3986 reserved and
# unreserved, plus "%" so existing escapes survive.
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def canonical_url(href: str, base: str) -> str | None:
    """The absolute, canonical form of ``href`` on a page at ``base``; None if it names no page.

    Fragments and utm_* parameters are dropped, scheme and host lower-cased, other
    parameters kept in their order. A fragment-only href ("#top") points back at the
    page itself and is not an item, so it gives None as well.

    >>> canonical_url("../news/2025/a.html?utm_source=x#top", "https://WWW.ipa.go.jp/news/index.html")
    'https://www.ipa.go.jp/news/2025/a.html'
    >>> canonical_url("mailto:info@ipa.go.jp", "https://www.ipa.go.jp/") is None
    True
    """
    # Browsers drop tabs and newlines anywhere in a URL (WHATWG URL spec).
    href = re.sub(r"[\t\n\r]", "", href).strip()
    if not href or href.startswith("#"):
        return None
    if href.lower().startswith(DEAD_SCHEMES):
        return None
    try:
        joined = urljoin(base, href)
        parts = urlsplit(joined)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host
    if port is not None and str(port) != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    path = _upper_escapes(quote(_remove_dot_segments(parts.path or "/"), safe=_SAFE_PATH))
    kept = [
        p for p in parts.query.split("&") if p and not _TRACKING_PARAM.match(p.split("=", 1)[0])
    ]
    query = _upper_escapes(quote("&".join(kept), safe=_SAFE_QUERY))
    return urlunsplit((scheme, netloc, path, query, ""))


def base_url(root: etree._Element, page_url: str) -> str:
    """The page URL, or the document's <base href> resolved against it."""
    for base in root.iter("base"):
        href = str(base.get("href") or "").strip()
        if href:
            try:
                return urljoin(page_url, href)
            except ValueError:
                return page_url
    return page_url


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, for absolute hrefs that urljoin leaves untouched."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


def _upper_escapes(text: str) -> str:
    """%e3 and %E3 are the same byte; keep one spelling."""
    return _ESCAPE.sub(lambda m: m.group(0).upper(), text)
