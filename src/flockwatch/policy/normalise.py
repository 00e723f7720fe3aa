"""Normalising what people type for an advertiser: handles, domains, outlet names.

Consumes strings such as ``@XHNews``, ``twitter:@RT_com``, ``https://www.BBC.co.uk/news``, ``People's Daily``;
produces lookup keys. Handles are lower-cased without ``@``; hosts are lower-cased without scheme, ``www.``, port
and path (core.urls' definition of a host). The same functions build the registry's keys and parse queries, so both always agree.
"""

from __future__ import annotations

import re

from flockwatch.core.handles import handle_key
from flockwatch.core.urls import host

_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_PLATFORM_PREFIX = re.compile(r"^([a-z]+):(?!//)@?(.+)$", re.I)
_PLATFORMS = {
    "twitter",
    "x",
    "facebook",
    "instagram",
    "youtube",
    "telegram",
    "vk",
    "tiktok",
    "linkedin",
    "ok",
    "rutube",
}
# hosts of social platforms: a link to them names an account, never the outlet's own domain
SOCIAL_HOSTS = {
    "twitter.com": "twitter",
    "x.com": "twitter",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "instagram.com": "instagram",
    "youtube.com": "youtube",
    "t.me": "telegram",
    "vk.com": "vk",
    "tiktok.com": "tiktok",
    "linkedin.com": "linkedin",
    "ok.ru": "ok",
    "rutube.ru": "rutube",
}


def name_key(name: str) -> str:
    return " ".join(name.replace("’", "'").casefold().split())


def host_key(text: str) -> str | None:
    """``https://www.BBC.co.uk:443/news?x`` → ``bbc.co.uk`` (core.urls' host); None when no valid DNS host is there."""
    h = host(text)
    return h if h is not None and _HOST.match(h) else None


def social_account(url: str) -> tuple[str, str] | None:
    """``https://www.twitter.com/RT_com`` → ``("twitter", "rt_com")``; None when the URL names no account."""
    host = host_key(url)
    if host is None or host not in SOCIAL_HOSTS:
        return None
    path = re.sub(r"^[a-z][a-z0-9+.-]*://[^/]+", "", url.strip(), flags=re.I).strip("/")
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    head = parts[0]
    if head in ("channel", "c", "user") and len(parts) > 1:  # YouTube
        head = parts[1]
    platform = SOCIAL_HOSTS[host]
    handle = handle_key(head.lstrip("@").split("?")[0], platform)
    return (platform, handle) if handle else None


def parse_advertiser(text: str) -> tuple[str, str | None, str]:
    """Classify a query: ``("handle", platform or None, key)``, ``("domain", None, host)`` or ``("name", None, key)``.

    ``@x`` and ``platform:x`` are handles; anything with a scheme or a dot is a domain (``RT_com`` is a handle,
    ``rt.com`` a domain); a bare word is tried as a handle and then as a name by the caller.
    """
    t = text.strip()
    if not t:
        return ("name", None, "")
    m = _PLATFORM_PREFIX.match(t)
    if m and m.group(1).lower() in _PLATFORMS:
        platform = m.group(1).lower()
        platform = "twitter" if platform == "x" else platform
        h = handle_key(m.group(2), platform)
        return ("handle", platform, h) if h else ("name", None, name_key(t))
    if t.startswith("@"):
        h = handle_key(t)
        return ("handle", None, h) if h else ("name", None, name_key(t))
    if "://" in t or ("." in t and " " not in t):
        social = social_account(t)
        if social:
            return ("handle", social[0], social[1])
        host = host_key(t)
        if host:
            return ("domain", None, host)
    return ("name", None, name_key(t))
