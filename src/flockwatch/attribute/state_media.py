"""The state-media reference an attribution compares a network against.

Consumes either the workspace's state-media registry (``flockwatch.policy``, when installed and filled: outlets with
their platform accounts and domains) or a list of handles / domains the analyst gives; produces a
:class:`StateMediaReference` — lower-cased handles and hosts, each with the outlet's country when known.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flockwatch.core.handles import handle_fold
from flockwatch.core.urls import host


@dataclass
class StateMediaReference:
    handles: dict[str, str | None] = field(default_factory=dict)
    """handle (lower-case, no '@') → ISO country code of the outlet (None when unknown)."""
    domains: dict[str, str | None] = field(default_factory=dict)
    """host without ``www.`` → ISO country code."""
    source: str = "none"

    def __bool__(self) -> bool:
        return bool(self.handles or self.domains)


def _host(value: str) -> str:
    return host(value) or value.strip().lower()


def from_lists(
    handles: Iterable[str] = (), domains: Iterable[str] = (), country: str | None = None
) -> StateMediaReference:
    """A reference from the analyst's own lists (``@XHNews`` or ``XHNews``; ``chinadaily.com.cn``).

    An item may carry its country as ``handle:CC`` / ``domain:CC``.
    """

    def split(item: str) -> tuple[str, str | None]:
        if ":" in item:
            v, cc = item.rsplit(":", 1)
            if len(cc) == 2 and cc.isalpha():
                return v, cc.upper()
        return item, country

    h = {}
    for item in handles:
        v, cc = split(item.strip())
        if v:
            h[handle_fold(v)] = cc
    d = {}
    for item in domains:
        v, cc = split(item.strip())
        if v:
            d[_host(v)] = cc
    return StateMediaReference(h, d, "list")


def from_registry(ws: Any, platform: str = "twitter") -> StateMediaReference:
    """Accounts and domains of every outlet in the workspace's state-media registry (empty when there is none)."""
    try:
        from flockwatch.policy import Registry  # the registry is optional: attribution works without it
    except ImportError:
        return StateMediaReference(source="none")
    try:
        reg = Registry.open(ws)
    except Exception:  # no ops store in this workspace (or an unreadable one): fall back to no registry
        return StateMediaReference(source="none")
    handles: dict[str, str | None] = {}
    domains: dict[str, str | None] = {}
    countries = {o.outlet_id: o.country_code for o in reg.outlets()}
    for a in reg.assets():
        cc = countries.get(a.outlet_id)
        if a.kind == "account" and (not a.platform or a.platform == platform) and a.value:
            handles[handle_fold(a.value)] = cc
        elif a.kind == "domain" and a.value:
            domains[_host(a.value)] = cc
    return StateMediaReference(handles, domains, "registry" if (handles or domains) else "none")


def merge(*refs: StateMediaReference) -> StateMediaReference:
    out = StateMediaReference(source="+".join(r.source for r in refs if r))
    for r in refs:
        out.handles.update(r.handles)
        out.domains.update(r.domains)
    return out
