"""``platform_assets``: Pages and Groups with their admins, one JSON object per line (JSONL, plain or ``.gz``).

Consumes lines like::

    {"asset_id": "fb:page:1001", "kind": "page", "name": "HK Truth", "platform": "facebook",
     "created_at": "2019-06-02T08:00:00Z", "follower_count": 15400, "description": "...",
     "admins": [{"account_id": "fb:u:501", "role": "admin"}, "fb:u:502"]}

``asset_id`` (required, text), ``kind`` (required: ``page`` or ``group``), ``name``, ``platform`` (default: the
ingest's ``--platform``, else ``facebook``), ``created_at`` (ISO-8601; naive = UTC), ``follower_count`` (followers of
a Page, members of a Group; a whole number >= 0), ``description``, ``admins`` (a list; each an object with
``account_id`` and an optional ``role`` — ``admin`` when left out — or a bare account id). Produces ``assets`` rows
and one ``asset_admins`` row per admin. A CSV of the canonical ``assets`` / ``asset_admins`` columns goes through
the ``canonical`` reader instead (a flat file cannot nest the admins).

Quarantine (line = the line in the file, raw = the line): not JSON or not an object; a missing ``asset_id``; a
``kind`` other than page/group; an unparseable ``created_at``; a ``follower_count`` that is not a whole number >= 0;
``admins`` that is not a list, or an admin without an account id. A bad line loads nothing (not the asset without
its admins: an asset whose admins are unknown would look unadministered). Re-ingest adds nothing: assets and admin
roles are keyed by (platform, asset_id[, account_id]) and the first row per key wins.

Cases use these rows: ``case open --with-assets`` adds the Pages and Groups a network's members administer, and an
account list may name ``page:ID`` / ``group:ID`` (flockwatch.review.cases).
"""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import pyarrow as pa

from flockwatch import schema
from flockwatch.core.records import parse_time, text_or_none
from flockwatch.ingest.base import ReadContext, ReadResult, Sniff

ASSET_KINDS = ("page", "group")
BATCH_ROWS = 50_000


class _Bad(ValueError):
    """One line's reason for quarantine."""


def _admins(value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Bad("admins: not a list")
    out = []
    for a in value:
        account_id, role = (a.get("account_id"), a.get("role") or "admin") if isinstance(a, dict) else (a, "admin")
        if isinstance(account_id, bool) or not isinstance(account_id, str | int) or not str(account_id).strip():
            raise _Bad("admins: an admin without an account id")
        out.append((str(account_id).strip(), str(role)))
    return out


def _asset(obj: Any, default_platform: str) -> tuple[tuple[Any, ...], list[tuple[str, str]]]:
    if not isinstance(obj, dict):
        raise _Bad("json: not an asset object")
    asset_id = text_or_none(obj.get("asset_id"))
    if asset_id is None or not asset_id.strip():
        raise _Bad("asset_id: missing")
    kind = obj.get("kind")
    if kind not in ASSET_KINDS:
        raise _Bad(f"kind: {str(kind)[:40]!r} is not one of {', '.join(ASSET_KINDS)}")
    created_raw = obj.get("created_at")
    created = parse_time(created_raw)
    if created_raw not in (None, "") and created is None:
        raise _Bad("created_at: not a time")
    followers = obj.get("follower_count")
    if followers is not None and (isinstance(followers, bool) or not isinstance(followers, int) or followers < 0):
        raise _Bad("follower_count: not a whole number >= 0")
    platform = text_or_none(obj.get("platform")) or default_platform
    row = (platform, asset_id.strip(), kind, text_or_none(obj.get("name")), created,
           text_or_none(obj.get("description")), followers)  # fmt: skip
    return row, _admins(obj.get("admins"))


class PlatformAssetsReader:
    name = "platform_assets"
    description = "Pages and Groups with their admins, JSONL: asset_id, kind page|group, name, admins, ..."
    default_platform = "facebook"

    def sniff(self, sniff: Sniff) -> bool:
        head = sniff.head.lstrip("\ufeff \r\n\t")
        return head.startswith("{") and '"asset_id"' in head and '"kind"' in head

    def read(self, ctx: ReadContext) -> ReadResult:
        opener = gzip.open if ctx.path.suffix == ".gz" else open
        assets: list[tuple[Any, ...]] = []
        admins: list[tuple[Any, ...]] = []
        bad: list[tuple[int, str, str | None]] = []
        seen, line_no = 0, 0
        try:
            with opener(ctx.path, "rb") as fh:
                for line_no, raw in enumerate(fh, start=1):
                    if not raw.strip():
                        continue
                    seen += 1
                    text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                    try:
                        try:
                            obj = json.loads(raw)
                        except (ValueError, RecursionError) as exc:
                            raise _Bad(f"json: {type(exc).__name__}: {str(exc)[:120]}") from None
                        row, its_admins = _asset(obj, ctx.platform)
                    except _Bad as exc:
                        bad.append((line_no, str(exc), text))
                        continue
                    assets.append(row)
                    admins += [(row[0], row[1], account_id, role) for account_id, role in its_admins]
                    if len(assets) >= BATCH_ROWS:
                        self._flush(ctx, assets, admins, bad)
        except (OSError, EOFError, zlib.error) as exc:  # a truncated .gz: keep what was read, quarantine the rest
            bad.append((line_no + 1, f"file: cannot read further: {exc}", None))
            seen += 1
        self._flush(ctx, assets, admins, bad)
        return ReadResult(seen)

    def _flush(self, ctx: ReadContext, assets: list[tuple[Any, ...]], admins: list[tuple[Any, ...]], bad: list) -> None:
        e = ctx.engine
        for table, rows in (("assets", assets), ("asset_admins", admins)):
            if rows:
                cols = schema.CANONICAL_TABLES[table].columns
                arrow = pa.table({c.name: [r[i] for r in rows] for i, c in enumerate(cols)})
                e.register("__assets_batch", arrow)
                ctx.insert(table, "SELECT * FROM __assets_batch")
                e.unregister("__assets_batch")
                rows.clear()
        if bad:
            e.register(
                "__assets_bad",
                pa.table(
                    {
                        "line": pa.array([b[0] for b in bad], pa.int64()),
                        "reason": pa.array([b[1] for b in bad], pa.string()),
                        "raw": pa.array([b[2] for b in bad], pa.string()),
                    }
                ),
            )
            ctx.quarantine("SELECT line, reason, raw FROM __assets_bad")
            e.unregister("__assets_bad")
            bad.clear()


READER = PlatformAssetsReader()
