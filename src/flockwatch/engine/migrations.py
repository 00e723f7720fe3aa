"""Named, ordered migrations of the warehouse schema.

Consumes an :class:`Engine`; produces the canonical tables at the newest schema version. Each migration has a
stable name and runs once; ``meta.schema_version`` records how many have run. To change the schema, append a new
migration (never edit an old one) and bump nothing else: ``SCHEMA_VERSION`` is the length of the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flockwatch import schema
from flockwatch.engine.base import Engine


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[Engine], None]


def _0001_canonical_tables(engine: Engine) -> None:
    for table in schema.CANONICAL_TABLES.values():
        engine.sql(table.ddl())


def _0002_detection(engine: Engine) -> None:
    """Stored output of detection and network building (flockwatch.detect, flockwatch.networks)."""
    statements = [
        """CREATE TABLE IF NOT EXISTS detection_runs (
          run_id VARCHAR PRIMARY KEY, params_json VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
          detectors VARCHAR, actions_count BIGINT, edges_count BIGINT, status VARCHAR)""",
        # one row per (run, detector, unordered account pair) that passed the calibrated threshold
        """CREATE TABLE IF NOT EXISTS edges (
          run_id VARCHAR, detector VARCHAR, account_a VARCHAR, account_b VARCHAR,
          co_actions_count BIGINT, episodes_count BIGINT, activity_a_count BIGINT, activity_b_count BIGINT,
          expected_count DOUBLE, p_value DOUBLE, q_value DOUBLE, weight DOUBLE,
          first_at TIMESTAMP, last_at TIMESTAMP, mean_dt_s DOUBLE)""",
        """CREATE TABLE IF NOT EXISTS edge_evidence (
          run_id VARCHAR, detector VARCHAR, account_a VARCHAR, account_b VARCHAR,
          action_id_a VARCHAR, action_id_b VARCHAR, target VARCHAR, acted_at_a TIMESTAMP, dt_s DOUBLE)""",
        """CREATE TABLE IF NOT EXISTS networks (
          run_id VARCHAR, network_id VARCHAR, size BIGINT, score DOUBLE, flagged BOOLEAN, density DOUBLE,
          signals VARCHAR, first_at TIMESTAMP, last_at TIMESTAMP, top_targets_json VARCHAR,
          timeline_json VARCHAR, explanation VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS network_members (
          run_id VARCHAR, network_id VARCHAR, account_id VARCHAR, account_score DOUBLE, degree BIGINT,
          strength DOUBLE)""",
        """CREATE TABLE IF NOT EXISTS fused_edges (
          run_id VARCHAR, account_a VARCHAR, account_b VARCHAR, weight DOUBLE, score DOUBLE,
          detectors VARCHAR, components_json VARCHAR)""",
    ]
    for stmt in statements:
        engine.sql(stmt)


def _0003_network_growth(engine: Engine) -> None:
    """How each account joined its candidate network (``cluster``, ``attach``, ``grow``) and, for accounts added
    after clustering, the evidence that added it (JSON)."""
    engine.sql("ALTER TABLE network_members ADD COLUMN IF NOT EXISTS joined_by VARCHAR")
    engine.sql("ALTER TABLE network_members ADD COLUMN IF NOT EXISTS evidence_json VARCHAR")


def _0004_operations(engine: Engine) -> None:
    """Candidate operations (flockwatch.networks.operations): flagged networks grouped by ties that are unlikely for
    unrelated groups; each tie keeps its per-signal counts, expectations, p-values and examples (JSON)."""
    statements = [
        """CREATE TABLE IF NOT EXISTS operations (
          run_id VARCHAR, operation_id VARCHAR, n_networks BIGINT, n_members BIGINT, score DOUBLE,
          signals_json VARCHAR, first_at TIMESTAMP, last_at TIMESTAMP)""",
        "CREATE TABLE IF NOT EXISTS operation_networks (run_id VARCHAR, operation_id VARCHAR, network_id VARCHAR)",
        """CREATE TABLE IF NOT EXISTS operation_links (
          run_id VARCHAR, network_a VARCHAR, network_b VARCHAR, weight DOUBLE, p_value DOUBLE,
          evidence_json VARCHAR)""",
    ]
    for stmt in statements:
        engine.sql(stmt)


def _0005_account_handles(engine: Engine) -> None:
    """Every handle an account has been seen under (``accounts`` keeps the first): ingest adds a row when a later
    file shows an account under a new screen name, so a peer's tip naming an old handle still finds the account
    (flockwatch.share.intake). Existing workspaces start with their current handles."""
    engine.sql(
        """CREATE TABLE IF NOT EXISTS account_handles (
          platform VARCHAR, account_id VARCHAR, screen_name VARCHAR, first_seen_at TIMESTAMP, ingest_id VARCHAR)"""
    )
    engine.sql(
        "INSERT INTO account_handles SELECT platform, account_id, screen_name, NULL, NULL FROM accounts "
        "WHERE screen_name IS NOT NULL"
    )


def _0006_text_fingerprints(engine: Engine) -> None:
    """Portable fingerprints of post texts (core.fingerprints), filled on first need by flockwatch.share.intake and
    extended to new actions after: ``text_exact`` has one row per indexed action (``exact_sha256`` NULL for a text
    too short to fingerprint), ``text_minhash`` one row per filled MinHash bin."""
    engine.sql("CREATE TABLE IF NOT EXISTS text_exact (platform VARCHAR, action_id VARCHAR, exact_sha256 VARCHAR)")
    engine.sql("CREATE TABLE IF NOT EXISTS text_minhash (platform VARCHAR, action_id VARCHAR, bin INTEGER, m UBIGINT)")


def _0007_assessment(engine: Engine) -> None:
    """The inauthenticity assessment of candidate networks (flockwatch.networks.assessment): whether a network passes
    the coordination threshold, its verdict, inauthenticity score, queue priority and evidence rows (JSON), and each
    member's own verdict and indicators."""
    for stmt in (
        "ALTER TABLE networks ADD COLUMN IF NOT EXISTS coordinated BOOLEAN",
        "ALTER TABLE networks ADD COLUMN IF NOT EXISTS assessment VARCHAR",
        "ALTER TABLE networks ADD COLUMN IF NOT EXISTS inauthenticity DOUBLE",
        "ALTER TABLE networks ADD COLUMN IF NOT EXISTS priority DOUBLE",
        "ALTER TABLE networks ADD COLUMN IF NOT EXISTS assessment_json VARCHAR",
        "ALTER TABLE network_members ADD COLUMN IF NOT EXISTS assessment VARCHAR",
        "ALTER TABLE network_members ADD COLUMN IF NOT EXISTS indicators VARCHAR",
    ):
        engine.sql(stmt)


def _0008_privacy_ledger(engine: Engine) -> None:
    """Removals made in the warehouse by retention or a deletion request (flockwatch.privacy.ledger): one row per run
    with its counts (never the removed content), written in the same transaction as the removal and marked audited
    once the operational store's audit entry for it has committed, so a crash between the two stores is finished
    (audited exactly once) by the next run."""
    engine.sql(
        """CREATE TABLE IF NOT EXISTS privacy_ledger (
          entry_id VARCHAR PRIMARY KEY, kind VARCHAR, recorded_at TIMESTAMP, detail_json VARCHAR, audited BOOLEAN)"""
    )


def _0009_asset_followers(engine: Engine) -> None:
    """Followers (Pages) or members (Groups) of an asset, as the platform_assets reader reads them."""
    engine.sql("ALTER TABLE assets ADD COLUMN IF NOT EXISTS follower_count BIGINT")


MIGRATIONS: list[Migration] = [
    Migration("0001_canonical_tables", _0001_canonical_tables),
    Migration("0002_detection", _0002_detection),
    Migration("0003_network_growth", _0003_network_growth),
    Migration("0004_operations", _0004_operations),
    Migration("0005_account_handles", _0005_account_handles),
    Migration("0006_text_fingerprints", _0006_text_fingerprints),
    Migration("0007_assessment", _0007_assessment),
    Migration("0008_privacy_ledger", _0008_privacy_ledger),
    Migration("0009_asset_followers", _0009_asset_followers),
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
    engine.sql("CREATE TABLE IF NOT EXISTS migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP DEFAULT now())")
    applied = []
    start = current_version(engine)
    for m in MIGRATIONS[start:]:
        with engine.transaction():
            m.apply(engine)
            engine.sql("INSERT INTO migrations (name) VALUES (?)", [m.name])
            engine.sql("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(MIGRATIONS.index(m) + 1)])
        applied.append(m.name)
    return applied
