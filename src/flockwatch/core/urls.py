"""URLs: a URL's host, its registrable domain, and the normalised URL that ``co_link`` compares.

Consumes a URL or host as text (a Python ``str``, or a SQL expression); produces the same notion in both
renderings from one pattern each, so ingest (``action_urls.domain``), detection (``co_link``/``co_domain``), the
state-media registry (``ads check bbc.co.uk``) and attribution agree on what "the host of a URL" is.

- **host**: lower-cased, without scheme, user info, port, path, query, fragment, trailing dot and a leading
  ``www.``/``www2.``; a scheme-less ``host/path`` works too. IDNs stay as written (``пример.рф`` and its punycode
  ``xn--e1afmkfd.xn--p1ai`` are two keys: the engines have no IDNA codec, and a platform export keeps one form).
- **registrable domain** (Python only: it needs the Public Suffix List): ``news.bbc.co.uk`` → ``bbc.co.uk``, through
  tldextract with its bundled suffix list snapshot and no network fetch.
- **normalised URL**: lower case, no scheme, no ``www.``, no fragment, no ``utm_*`` tracking parameters, no
  trailing ``/``, ``?`` or ``&`` — the same page shared with different tracking tails is one target.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import regex

if TYPE_CHECKING:
    import tldextract

#: group 1 is the host: optional scheme, optional user info, then up to ``/ : ? #`` or whitespace
HOST_PATTERN = r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/?#]*@)?(\[[0-9a-f:.]+\]|[^/:?#\t\n\x0b\x0c\r \[]+)"
_WWW = r"^www[0-9]*\."
_TRAILING_DOT = r"\.+$"
_HOST_RX = regex.compile(HOST_PATTERN)
_WWW_RX = regex.compile(_WWW)
_TRAILING_DOT_RX = regex.compile(_TRAILING_DOT)

_URL_STEPS: tuple[tuple[str, str], ...] = (
    (r"^[a-z][a-z0-9+.-]*://", ""),
    (_WWW, ""),
    (r"#.*$", ""),
    (r"([?&])utm_[^&]*", r"\1"),
    (r"([?&])&+", r"\1"),
    (r"[?&/]+$", ""),
)
_URL_RX = tuple((regex.compile(p), r) for p, r in _URL_STEPS)
_SPACES = " "  # what SQL trim() removes


# -- Python -----------------------------------------------------------------------------------------------------------
def host(url: str | None) -> str | None:
    """``https://user@www.BBC.co.uk:443/news?x`` → ``bbc.co.uk``; None when there is no host."""
    if not url:
        return None
    m = _HOST_RX.match(url.strip(_SPACES).lower())
    if not m:
        return None
    h = _TRAILING_DOT_RX.sub("", _WWW_RX.sub("", m.group(1)))
    return h or None


def normalise_url(url: str | None) -> str | None:
    """The normalised form of a URL (module docstring)."""
    if url is None:
        return None
    x = url.strip(_SPACES).lower()
    for rx, repl in _URL_RX:
        x = rx.sub(repl, x)
    return x


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    import tldextract

    # suffix_list_urls=() and no cache dir: the snapshot bundled with the package, never a network fetch
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)


def registrable_domain(host_or_url: str | None) -> str | None:
    """``news.bbc.co.uk`` → ``bbc.co.uk``; an IP address or a bare suffix gives itself; None for no host."""
    h = host(host_or_url)
    if h is None:
        return None
    parts = _extractor()(h)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    return h


def host_suffixes(h: str) -> list[str]:
    """``a.b.example.com`` → ``[a.b.example.com, b.example.com, example.com]``: the host and its parents down to the
    registrable domain (never a public suffix such as ``co.uk``)."""
    labels = h.split(".")
    base = registrable_domain(h) or h
    out = []
    for i in range(len(labels)):
        cand = ".".join(labels[i:])
        out.append(cand)
        if cand == base:
            break
    return out


# -- SQL ----------------------------------------------------------------------------------------------------------------
def _lit(pattern: str) -> str:
    return "'" + pattern.replace("'", "''") + "'"


def host_sql(url_sql: str) -> str:
    """SQL form of :func:`host` (NULL when there is no host)."""
    h = f"regexp_extract(lower(trim({url_sql})), {_lit(HOST_PATTERN)}, 1)"
    h = f"regexp_replace(regexp_replace({h}, {_lit(_WWW)}, ''), {_lit(_TRAILING_DOT)}, '')"
    return f"nullif({h}, '')"


def normalised_url_sql(url_sql: str = "url") -> str:
    """SQL form of :func:`normalise_url`."""
    x = f"lower(trim({url_sql}))"
    for pattern, repl in _URL_STEPS:
        flags = ", 'g'" if pattern.startswith("([?&])") else ""  # the others are anchored
        x = f"regexp_replace({x}, {_lit(pattern)}, {_lit(repl)}{flags})"
    return x


def domain_or_host_sql(domain_sql: str = "domain", url_sql: str = "url") -> str:
    """The stored domain of a URL row when a source gave one (normalised like a host), else the URL's host."""
    return f"coalesce({host_sql(domain_sql)}, {host_sql(url_sql)})"
