"""The review queue: a run's candidate networks by priority, filtered, searched and paged on the store.

Consumes a workspace with built networks (tables ``networks``, ``network_members``, ``operation_networks``) and a
:class:`QueueQuery`; produces a :class:`QueuePage` (one page of :class:`QueueRow`, the total that matched, the run
it was read from). Priority is the network score (read as confidence), then size: the analyst sees the firmest and
largest candidates first. Paging happens in SQL so that a run with many thousands of networks costs one page.

Search matches a network when one of its members is the account (id), has the handle (screen name, with or
without ``@``, case-insensitive), or used the hashtag (with or without ``#``) or a URL on the domain (the
registrable domain or a host below it). A search term is bound, never pasted into SQL.

To add a filter: a field on :class:`QueueQuery` and one clause in :func:`_where`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flockwatch.core import runs
from flockwatch.core.handles import handle_key
from flockwatch.core.text import hashtag_key
from flockwatch.core.urls import host
from flockwatch.errors import ValidationError
from flockwatch.workspace import Workspace

#: search kinds understood by :func:`network_queue`; ``any`` tries each
SEARCH_KINDS = ("any", "account", "handle", "hashtag", "domain")
MAX_PAGE = 500


@dataclass(frozen=True)
class QueueQuery:
    """What the analyst asked for. ``search_kind`` is one of :data:`SEARCH_KINDS`."""

    run_id: str | None = None
    flagged_only: bool = True
    min_size: int = 0
    min_score: float = 0.0
    detector: str | None = None
    operation_id: str | None = None
    search: str = ""
    search_kind: str = "any"
    offset: int = 0
    limit: int = 50


@dataclass
class QueueRow:
    network_id: str
    operation_id: str | None
    size: int
    score: float
    flagged: bool
    density: float
    signals: dict[str, int]
    first_at: Any
    last_at: Any
    top_targets: list[dict[str, Any]] = field(default_factory=list)
    explanation: str = ""


@dataclass
class QueuePage:
    run_id: str
    rows: list[QueueRow]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total


def _search_sql(kind: str, term: str) -> tuple[str, list[Any]]:
    """A relation of account ids matching the search (column ``account_id``), with its bound values."""
    parts: list[str] = []
    params: list[Any] = []
    t = term.strip()
    if kind in ("any", "account"):
        parts.append("SELECT ? AS account_id")
        params.append(t)
    key = handle_key(t) if kind in ("any", "handle") else None
    if key:
        parts.append("SELECT account_id FROM accounts WHERE lower(screen_name) = ?")
        params.append(key)
    tag = hashtag_key(t) if kind in ("any", "hashtag") else ""
    if tag:
        parts.append(
            "SELECT a.account_id FROM actions a JOIN action_hashtags h USING (platform, action_id) WHERE h.hashtag = ?"
        )
        params.append(tag)
    h = host(t) if kind in ("any", "domain") and "." in t else None
    if h:
        # a domain matches its own host and every host below it (news.example.com for example.com)
        like = "%." + h.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        parts.append(
            "SELECT a.account_id FROM actions a JOIN action_urls u USING (platform, action_id) "
            "WHERE u.domain = ? OR u.domain LIKE ? ESCAPE '\\'"
        )
        params += [h, like]
    if not parts:
        return "SELECT NULL::VARCHAR AS account_id WHERE FALSE", []
    return " UNION ".join(parts), params


def _where(q: QueueQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = ["n.run_id = ?"]
    params: list[Any] = []
    if q.flagged_only:
        clauses.append("n.flagged")
    if q.min_size:
        clauses.append("n.size >= ?")
        params.append(int(q.min_size))
    if q.min_score:
        clauses.append("n.score >= ?")
        params.append(float(q.min_score))
    if q.detector:
        clauses.append("json_extract(n.signals, ?) IS NOT NULL")
        params.append("$." + json.dumps(q.detector))
    if q.operation_id:
        clauses.append(
            "n.network_id IN (SELECT network_id FROM operation_networks WHERE run_id = n.run_id AND operation_id = ?)"
        )
        params.append(q.operation_id)
    if q.search.strip():
        sub, sub_params = _search_sql(q.search_kind, q.search)
        clauses.append(
            "n.network_id IN (SELECT m.network_id FROM network_members m "
            f"WHERE m.run_id = n.run_id AND m.account_id IN ({sub}))"
        )
        params += sub_params
    return " AND ".join(clauses), params


_SELECT = """SELECT n.network_id, o.operation_id, n.size, n.score, n.flagged, n.density, n.signals, n.first_at,
                    n.last_at, n.top_targets_json, n.explanation
             FROM networks n
             LEFT JOIN (SELECT network_id, min(operation_id) AS operation_id FROM operation_networks
                        WHERE run_id = ? GROUP BY network_id) o USING (network_id)"""


def _row(r: tuple[Any, ...]) -> QueueRow:
    return QueueRow(
        network_id=r[0],
        operation_id=r[1],
        size=int(r[2]),
        score=float(r[3]),
        flagged=bool(r[4]),
        density=float(r[5] or 0.0),
        signals=json.loads(r[6] or "{}"),
        first_at=r[7],
        last_at=r[8],
        top_targets=json.loads(r[9] or "[]"),
        explanation=r[10] or "",
    )


def network_queue(ws: Workspace, query: QueueQuery | None = None) -> QueuePage:
    """One page of a run's candidate networks (default: the latest finished run), highest priority first."""
    q = query or QueueQuery()
    if q.search_kind not in SEARCH_KINDS:
        raise ValidationError(f"unknown search kind {q.search_kind!r}; use one of {', '.join(SEARCH_KINDS)}")
    limit = max(1, min(int(q.limit), MAX_PAGE))
    offset = max(0, int(q.offset))
    e = ws.engine
    rid = runs.resolve_run(e, q.run_id)
    where, params = _where(q)
    total = int(e.sql(f"SELECT count(*) FROM networks n WHERE {where}", [rid, *params]).scalar() or 0)
    rows = e.sql(
        f"{_SELECT} WHERE {where} ORDER BY n.score DESC, n.size DESC, n.network_id LIMIT ? OFFSET ?",
        [rid, rid, *params, limit, offset],
    ).rows()
    return QueuePage(rid, [_row(r) for r in rows], total, offset, limit)


def network_summary(ws: Workspace, ref: str) -> QueueRow:
    """The queue row of one network reference (``N0001`` of the latest run or ``<run>/N0001``)."""
    e = ws.engine
    rid, nid = runs.resolve_network(e, ref)
    rows = e.sql(f"{_SELECT} WHERE n.run_id = ? AND n.network_id = ?", [rid, rid, nid]).rows()
    if not rows:
        raise ValidationError(f"candidate network {nid!r} has members but no summary row in run {rid}")
    return _row(rows[0])
