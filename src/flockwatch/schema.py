"""Canonical table schemas of the workspace.

Consumes nothing; produces the column lists every reader writes and every detector reads. Times are UTC and stored
as naive ``TIMESTAMP`` (the workspace session runs with ``TimeZone=UTC``). Ids are strings exactly as in the source
data, qualified by the ``platform`` column. Column names carry units where a unit exists (``*_at`` are instants,
``*_count`` are counts).

To add a column: append it to the table here and add a named migration in ``engine/migrations.py``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    doc: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self, name: str | None = None, temp: bool = False) -> str:
        cols = ",\n  ".join(f"{c.name} {c.sql_type}" for c in self.columns)
        kind = "TEMP TABLE" if temp else "TABLE"
        return f"CREATE {kind} IF NOT EXISTS {name or self.name} (\n  {cols}\n)"


def _t(name: str, key: tuple[str, ...], doc: str, *cols: tuple[str, str, str] | tuple[str, str]) -> Table:
    return Table(name, tuple(Column(*c) for c in cols), key, doc)


ACCOUNTS = _t(
    "accounts",
    ("platform", "account_id"),
    "One row per account as the platform describes it.",
    ("platform", "VARCHAR"),
    ("account_id", "VARCHAR"),
    ("screen_name", "VARCHAR"),
    ("display_name", "VARCHAR"),
    ("created_at", "TIMESTAMP"),
    ("follower_count", "BIGINT"),
    ("following_count", "BIGINT"),
    ("language", "VARCHAR"),
    ("reported_location", "VARCHAR"),
    ("description", "VARCHAR"),
    ("profile_url", "VARCHAR"),
    ("id_is_pseudonymised", "BOOLEAN", "true when the source replaced the id by a hash (joinable, not reversible)"),
)

ACTION_KINDS = ("post", "repost", "reply", "quote", "share")

ACTIONS = _t(
    "actions",
    ("platform", "action_id"),
    "One row per thing an account did.",
    ("platform", "VARCHAR"),
    ("action_id", "VARCHAR"),
    ("account_id", "VARCHAR"),
    ("kind", "VARCHAR", "one of post, repost, reply, quote, share"),
    ("acted_at", "TIMESTAMP"),
    ("target_action_id", "VARCHAR"),
    ("target_account_id", "VARCHAR"),
    ("text", "VARCHAR"),
    ("language", "VARCHAR"),
    ("client", "VARCHAR"),
)

ACTION_HASHTAGS = _t(
    "action_hashtags",
    ("platform", "action_id", "hashtag"),
    "Hashtags of an action, lower-cased, without '#'.",
    ("platform", "VARCHAR"),
    ("action_id", "VARCHAR"),
    ("hashtag", "VARCHAR"),
)

ACTION_URLS = _t(
    "action_urls",
    ("platform", "action_id", "url"),
    "URLs of an action with their host name.",
    ("platform", "VARCHAR"),
    ("action_id", "VARCHAR"),
    ("url", "VARCHAR"),
    ("domain", "VARCHAR"),
)

ACTION_MENTIONS = _t(
    "action_mentions",
    ("platform", "action_id", "mentioned_account_id"),
    "Accounts mentioned by an action (an id where the source has one, else the handle without '@').",
    ("platform", "VARCHAR"),
    ("action_id", "VARCHAR"),
    ("mentioned_account_id", "VARCHAR"),
)

ASSETS = _t(
    "assets",
    ("platform", "asset_id"),
    "Pages, groups, channels.",
    ("platform", "VARCHAR"),
    ("asset_id", "VARCHAR"),
    ("kind", "VARCHAR", "page or group (channel where a source has them)"),
    ("name", "VARCHAR"),
    ("created_at", "TIMESTAMP"),
    ("description", "VARCHAR"),
    ("follower_count", "BIGINT", "followers or members, as the source reports them"),
)

ASSET_ADMINS = _t(
    "asset_admins",
    ("platform", "asset_id", "account_id"),
    "Who runs an asset.",
    ("platform", "VARCHAR"),
    ("asset_id", "VARCHAR"),
    ("account_id", "VARCHAR"),
    ("role", "VARCHAR"),
)

INFRASTRUCTURE = _t(
    "infrastructure",
    ("platform", "account_id", "seen_at", "ip_prefix"),
    "Platform-internal login observations (not in public archives).",
    ("platform", "VARCHAR"),
    ("account_id", "VARCHAR"),
    ("seen_at", "TIMESTAMP"),
    ("ip_prefix", "VARCHAR"),
    ("asn", "BIGINT"),
    ("country", "VARCHAR"),
    ("via_vpn", "BOOLEAN"),
)

QUARANTINE = _t(
    "quarantine",
    ("source_file", "line", "reason"),
    "Rows that could not be loaded, with why. Nothing is dropped.",
    ("ingest_id", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("line", "BIGINT", "1-based line in the source file"),
    ("reason", "VARCHAR"),
    ("raw", "VARCHAR"),
)

INGESTS = _t(
    "ingests",
    ("ingest_id",),
    "One row per file ingested: provenance, counts, and the per-reason summary.",
    ("ingest_id", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("content_sha256", "VARCHAR"),
    ("format", "VARCHAR"),
    ("started_at", "TIMESTAMP"),
    ("finished_at", "TIMESTAMP"),
    ("rows_read", "BIGINT"),
    ("rows_loaded", "BIGINT"),
    ("rows_quarantined", "BIGINT"),
    ("summary_json", "VARCHAR"),
)

#: Tables a reader may fill (in load order).
DATA_TABLES: tuple[Table, ...] = (
    ACCOUNTS,
    ACTIONS,
    ACTION_HASHTAGS,
    ACTION_URLS,
    ACTION_MENTIONS,
    ASSETS,
    ASSET_ADMINS,
    INFRASTRUCTURE,
)

#: Every canonical table, by name.
CANONICAL_TABLES: dict[str, Table] = {t.name: t for t in (*DATA_TABLES, QUARANTINE, INGESTS)}
