"""Named, ordered migrations of the warehouse schema.

Consumes an :class:`Engine`; produces the canonical tables at the newest schema version. Each migration has a
stable name and runs once; ``meta.schema_version`` records how many have run. To change the schema, append a new
migration (never edit an old one) and bump nothing else: ``SCHEMA_VERSION`` is the length of the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flockwatch import schema
from flockwatch.engine.duckdb_engine import Engine


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[Engine], None]


def _0001_canonical_tables(engine: Engine) -> None:
    for table in schema.CANONICAL_TABLES.values():
        engine.sql(table.ddl())


MIGRATIONS: list[Migration] = [
    Migration("0001_canonical_tables", _0001_canonical_tables),
]

SCHEMA_VERSION = len(MIGRATIONS)


def current_version(engine: Engine) -> int:
    if not engine.table_exists("meta"):
        return 0
    value = engine.sql("SELECT value FROM meta WHERE key = 'schema_version'").scalar()
    return int(value) if value is not None else 0


def migrate(engine: Engine) -> list[str]:
    """Apply every migration not yet applied; returns the names applied."""
    engine.sql("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    engine.sql(
        "CREATE TABLE IF NOT EXISTS migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP DEFAULT now())"
    )
    applied = []
    start = current_version(engine)
    for m in MIGRATIONS[start:]:
        with engine.transaction():
            m.apply(engine)
            engine.sql("INSERT INTO migrations (name) VALUES (?)", [m.name])
            engine.sql(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(MIGRATIONS.index(m) + 1)]
            )
        applied.append(m.name)
    return applied
