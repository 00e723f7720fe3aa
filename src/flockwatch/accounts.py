"""Account look-ups for people reading a workspace: a profile, its history page by page, the actions behind
evidence, and the candidate networks an account was placed in by each detection run.

Consumes a workspace (canonical tables ``accounts``, ``actions``, ``action_hashtags``, ``action_urls``; detection
tables ``network_members``, ``networks``, ``detection_runs``); produces plain dicts (column name → value) ready to
show or serialise. Every id is bound, never pasted. Used by the analyst console and usable from notebooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from flockwatch.workspace import Workspace

ACTION_COLUMNS = (
    "platform, action_id, account_id, kind, acted_at, target_action_id, target_account_id, text, language, client"
)
MAX_PAGE = 500


def account_profiles(ws: Workspace, account_id: str) -> list[dict[str, Any]]:
    """The ``accounts`` rows of ``account_id`` (one per platform that has it; empty when none)."""
    return ws.engine.sql(
        "SELECT platform, account_id, screen_name, display_name, created_at, follower_count, following_count, "
        "language, reported_location, description, profile_url, id_is_pseudonymised FROM accounts "
        "WHERE account_id = ? ORDER BY platform",
        [account_id],
    ).dicts()


def account_actions(
    ws: Workspace, account_id: str, offset: int = 0, limit: int = 50
) -> tuple[list[dict[str, Any]], int]:
    """One page of the account's actions, newest first, with the total count."""
    limit = max(1, min(int(limit), MAX_PAGE))
    e = ws.engine
    total = int(e.sql("SELECT count(*) FROM actions WHERE account_id = ?", [account_id]).scalar() or 0)
    rows = e.sql(
        f"SELECT {ACTION_COLUMNS} FROM actions WHERE account_id = ? "
        "ORDER BY acted_at DESC NULLS LAST, action_id LIMIT ? OFFSET ?",
        [account_id, limit, max(0, int(offset))],
    ).dicts()
    return _with_entities(ws, rows), total


def actions_by_ids(ws: Workspace, action_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{action_id: row}`` for the given ids (those that exist), with their hashtags and URLs."""
    ids = sorted({str(a) for a in action_ids if a is not None})
    if not ids:
        return {}
    e = ws.engine
    with e.scratch("actionids") as s:
        t = s.register("ids", pa.table({"action_id": pa.array(ids, pa.string())}))
        rows = e.sql(f"SELECT {ACTION_COLUMNS} FROM actions SEMI JOIN {t} USING (action_id) ORDER BY action_id").dicts()
    return {r["action_id"]: r for r in _with_entities(ws, rows)}


def _with_entities(ws: Workspace, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return rows
    e = ws.engine
    ids = pa.table({"action_id": pa.array(sorted({r["action_id"] for r in rows}), pa.string())})
    tags: dict[str, list[str]] = {}
    urls: dict[str, list[str]] = {}
    with e.scratch("entities") as s:
        t = s.register("ids", ids)
        for aid, tag in e.sql(
            f"SELECT action_id, hashtag FROM action_hashtags SEMI JOIN {t} USING (action_id) ORDER BY 1, 2"
        ).rows():
            tags.setdefault(aid, []).append(tag)
        for aid, url in e.sql(
            f"SELECT action_id, url FROM action_urls SEMI JOIN {t} USING (action_id) ORDER BY 1, 2"
        ).rows():
            urls.setdefault(aid, []).append(url)
    return [{**r, "hashtags": tags.get(r["action_id"], []), "urls": urls.get(r["action_id"], [])} for r in rows]


def account_memberships(ws: Workspace, account_id: str) -> list[dict[str, Any]]:
    """Every candidate network the account is a member of, one row per finished detection run, newest run first."""
    return ws.engine.sql(
        """SELECT m.run_id, m.network_id, m.account_score, coalesce(m.joined_by, 'cluster') AS joined_by,
                  n.flagged, n.score AS network_score, n.size, r.started_at AS run_started_at
           FROM network_members m JOIN networks n USING (run_id, network_id)
           JOIN detection_runs r USING (run_id)
           WHERE m.account_id = ? AND r.status = 'done'
           ORDER BY r.started_at DESC, m.run_id DESC, m.network_id""",
        [account_id],
    ).dicts()
