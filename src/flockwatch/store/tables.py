"""The operational store's tables, defined once as SQLAlchemy Core ``Table`` objects.

Consumed by the store's users (policy registry, review, users) to build statements, and by the migration test that
checks that the shipped Alembic history produces exactly these tables on SQLite and PostgreSQL. Core, not the ORM:
every write here is a short explicit statement inside one transaction (insert a fact, flip a status under a guard,
append an audit row), bulk actions insert hundreds of thousands of rows at once, and the policy code's portable SQL
needs no identity map; Core keeps one statement per intent and no hidden flushes.

Extending: add the table or column here AND a new revision under ``migrations/versions`` (never edit an applied
revision). Names: ``media_*`` / ``policy_*`` the state-media registry, ``ops_*`` users and review. Times are ISO-8601
UTC text (``*_at``) so that both backends compare them the same way.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

# -- the state-media registry (revisions 0001–0003, identical to the schema the sqlite3 store had) --------------------
media_outlets = Table(
    "media_outlets",
    metadata,
    Column("outlet_id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_key", Text, nullable=False),
    Column("country_code", Text, nullable=False),
    Column("kind", Text, nullable=False, server_default="media"),
    Column("parent_id", Integer, ForeignKey("media_outlets.outlet_id")),
    Column("owner_chain_json", Text, nullable=False, server_default="[]"),
    Column("aliases_json", Text, nullable=False, server_default="[]"),
    Column("origin", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    UniqueConstraint("name_key", "country_code"),
)

media_assets = Table(
    "media_assets",
    metadata,
    Column("asset_id", Integer, primary_key=True),
    Column("outlet_id", Integer, ForeignKey("media_outlets.outlet_id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("platform", Text, nullable=False, server_default=""),
    Column("value", Text, nullable=False),
    Column("display", Text, nullable=False),
    Column("role", Text, nullable=False, server_default="outlet"),
    Column("person_name", Text),
    Column("source", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    UniqueConstraint("outlet_id", "kind", "platform", "value"),
    Index("media_assets_lookup", "kind", "platform", "value"),
)

media_facts = Table(
    "media_facts",
    metadata,
    Column("fact_id", Integer, primary_key=True),
    Column("outlet_id", Integer, ForeignKey("media_outlets.outlet_id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("value_json", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("source_url", Text),
    Column("source_date", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("note", Text),
    Column("recorded_at", Text, nullable=False),
    Column("superseded_by", Integer, ForeignKey("media_facts.fact_id")),
    Column("appeal_id", Integer),
    Column("contests_fact_id", Integer, ForeignKey("media_facts.fact_id")),
    Index("media_facts_outlet", "outlet_id", "kind"),
)

policy_determinations = Table(
    "policy_determinations",
    metadata,
    Column("determination_id", Integer, primary_key=True),
    Column("outlet_id", Integer, ForeignKey("media_outlets.outlet_id"), nullable=False),
    Column("policy_id", Text, nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("effects_json", Text, nullable=False),
    Column("reasons_json", Text, nullable=False),
    Column("facts_used_json", Text, nullable=False),
    Column("facts_ignored_json", Text, nullable=False),
    Column("effective_on", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("decided_by", Text, nullable=False),
    Column("supersedes", Integer, ForeignKey("policy_determinations.determination_id")),
    Column("appeal_id", Integer),
    Index("policy_determinations_outlet", "policy_id", "outlet_id", "effective_on"),
)

policy_offboarding = Table(
    "policy_offboarding",
    metadata,
    Column("offboarding_id", Integer, primary_key=True),
    Column("outlet_id", Integer, ForeignKey("media_outlets.outlet_id"), nullable=False),
    Column("policy_id", Text, nullable=False),
    Column("determination_id", Integer, ForeignKey("policy_determinations.determination_id"), nullable=False),
    Column("notice_on", Text, nullable=False),
    Column("window_days", Integer, nullable=False),
    Column("ends_on", Text, nullable=False),
    Column("notice_text", Text, nullable=False),
)

policy_appeals = Table(
    "policy_appeals",
    metadata,
    Column("appeal_id", Integer, primary_key=True),
    Column("determination_id", Integer, ForeignKey("policy_determinations.determination_id"), nullable=False),
    Column("outlet_id", Integer, ForeignKey("media_outlets.outlet_id"), nullable=False),
    Column("filed_on", Text, nullable=False),
    Column("filed_by", Text, nullable=False),
    Column("grounds", Text, nullable=False),
    Column("evidence_fact_ids_json", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="filed"),
    Column("reviewer", Text),
    Column("review_note", Text),
    Column("reviewed_at", Text),
    Column("new_determination_id", Integer, ForeignKey("policy_determinations.determination_id")),
)

media_imports = Table(
    "media_imports",
    metadata,
    Column("import_id", Integer, primary_key=True),
    Column("content_sha256", Text, nullable=False, unique=True),
    Column("file_name", Text, nullable=False),
    Column("snapshot_date", Text, nullable=False),
    Column("imported_at", Text, nullable=False),
    Column("origin", Text, nullable=False, server_default="file"),
    Column("provenance_json", Text, nullable=False, server_default="{}"),
)

media_registry_setup = Table(
    "media_registry_setup",
    metadata,
    Column("setup_id", Integer, primary_key=True, autoincrement=False),
    Column("status", Text, nullable=False),
    Column("provenance_json", Text, nullable=False),
    Column("recorded_at", Text, nullable=False),
    CheckConstraint("setup_id = 1", name="media_registry_setup_one_row"),
)

# -- users (revision 0004) ---------------------------------------------------------------------------------------------
ops_users = Table(
    "ops_users",
    metadata,
    Column("user_id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text),
    # when the password was last set (revision 0010): the session stamp's basis; a rehash on sign-in leaves it
    Column("password_changed_at", Text),
    Column("created_at", Text, nullable=False),
    Column("disabled_at", Text),
    CheckConstraint("role IN ('analyst', 'reviewer', 'admin')", name="ops_users_role"),
)

ops_tokens = Table(
    "ops_tokens",
    metadata,
    Column("token_id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("ops_users.user_id"), nullable=False),
    # sha256 of the token: a token has 256 random bits, so a fast hash is enough and lookups stay O(1)
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("label", Text, nullable=False, server_default=""),
    Column("created_at", Text, nullable=False),
    Column("revoked_at", Text),
)

# -- cases (revision 0004) ---------------------------------------------------------------------------------------------
ops_cases = Table(
    "ops_cases",
    metadata,
    Column("case_id", String(32), primary_key=True),
    Column("title", Text, nullable=False),
    Column("source_kind", String(16), nullable=False),
    Column("source_ref", Text, nullable=False),
    Column("run_id", Text),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("opened_by", Text, nullable=False),
    Column("opened_at", Text, nullable=False),
    Column("detail_json", Text, nullable=False, server_default="{}"),
    Column("legal_hold", Integer, nullable=False, server_default="0"),
    # who placed the hold, when and why (revision 0008); NULL while no hold is in force
    Column("legal_hold_by", Text),
    Column("legal_hold_at", Text),
    Column("legal_hold_reason", Text),
    CheckConstraint(
        "source_kind IN ('network', 'operation', 'accounts', 'tip', 'alert')", name="ops_cases_source_kind"
    ),
)

ops_case_subjects = Table(
    "ops_case_subjects",
    metadata,
    Column("case_id", String(32), ForeignKey("ops_cases.case_id"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("platform", String(32), primary_key=True),
    Column("subject_id", Text, primary_key=True),
    Column("screen_name", Text),
    Column("score", Float),
    Column("evidence_json", Text, nullable=False, server_default="{}"),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("action_id", Integer),
    Column("excluded", Integer, nullable=False, server_default="0"),
    Column("updated_at", Text, nullable=False),
    CheckConstraint("kind IN ('account', 'page', 'group', 'domain')", name="ops_case_subjects_kind"),
    Index("ops_case_subjects_status", "case_id", "status"),
)

ops_actions = Table(
    "ops_actions",
    metadata,
    Column("action_id", Integer, primary_key=True),
    Column("case_id", String(32), ForeignKey("ops_cases.case_id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("until_at", Text),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("proposed_by", Text, nullable=False),
    Column("proposed_at", Text, nullable=False),
    Column("approved_by", Text),
    Column("approved_at", Text),
    Column("n_subjects", Integer, nullable=False),
    Column("determination_id", Integer),
    # the two-person rule in the schema: whoever approves is never whoever proposed, whatever the code does
    CheckConstraint("approved_by IS NULL OR approved_by <> proposed_by", name="ops_actions_two_person"),
    CheckConstraint("kind IN ('suspend', 'lock', 'label', 'refuse-ads', 'dismiss')", name="ops_actions_kind"),
    Index("ops_actions_case", "case_id", "status"),
    # at most one proposed action per case: two analysts proposing at once cannot both succeed
    Index(
        "ops_actions_one_pending",
        "case_id",
        unique=True,
        sqlite_where=text("status = 'proposed'"),
        postgresql_where=text("status = 'proposed'"),
    ),
)

# -- sampled sign-off (revision 0006) ------------------------------------------------------------------------------------
ops_samples = Table(
    "ops_samples",
    metadata,
    Column("action_id", Integer, ForeignKey("ops_actions.action_id"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("platform", String(32), primary_key=True),
    Column("subject_id", Text, primary_key=True),
    Column("band", String(16), nullable=False),
    Column("drawn_by", Text, nullable=False),
    Column("drawn_at", Text, nullable=False),
    Column("label", String(16)),
    Column("labelled_by", Text),
    Column("labelled_at", Text),
    CheckConstraint("label IS NULL OR label IN ('correct', 'false_positive')", name="ops_samples_label"),
)

# -- audit (revision 0004) ---------------------------------------------------------------------------------------------
ops_audit = Table(
    "ops_audit",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("os_user", Text),
    Column("action", Text, nullable=False),
    Column("object_ref", Text, nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("evidence_json", Text, nullable=False, server_default="[]"),
    Column("before_json", Text),
    Column("after_json", Text),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
)

ops_access_log = Table(
    "ops_access_log",
    metadata,
    Column("access_id", Integer, primary_key=True),
    Column("at", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("os_user", Text),
    Column("platform", Text, nullable=False, server_default=""),
    Column("account_id", Text, nullable=False),
    Column("purpose", Text, nullable=False, server_default=""),
    Column("case_id", String(32)),
    Index("ops_access_log_account", "platform", "account_id"),
)

# -- affiliations (migration 0005) -------------------------------------------------------------------------------
media_affiliations = Table(
    "media_affiliations",
    metadata,
    Column("affiliation_id", Integer, primary_key=True),
    Column("platform", Text, nullable=False),
    Column("handle", Text, nullable=False),
    Column("display", Text, nullable=False),
    Column("account_id", Text),
    Column("outlet_id", Integer, ForeignKey("media_outlets.outlet_id")),
    Column("role", Text, nullable=False),
    Column("person_name", Text),
    Column("entity", Text, nullable=False),
    Column("entity_key", Text, nullable=False),
    Column("parent_entity", Text, nullable=False, server_default=""),
    Column("as_of", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("resolution_json", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("list_file", Text, nullable=False),
    Column("list_line", Integer, nullable=False),
    Column("list_sha256", Text, nullable=False),
    Column("extra_json", Text, nullable=False, server_default="{}"),
    Column("imported_at", Text, nullable=False),
    UniqueConstraint("list_sha256", "list_line", name="media_affiliations_row_once"),
    Index("media_affiliations_handle", "platform", "handle", "as_of"),
)

media_link_proposals = Table(
    "media_link_proposals",
    metadata,
    Column("proposal_id", Integer, primary_key=True),
    Column("platform", Text, nullable=False),
    Column("handle", Text, nullable=False),
    Column("display", Text, nullable=False),
    Column("account_id", Text),
    Column("display_name", Text, nullable=False, server_default=""),
    Column("outlet_id", Integer, ForeignKey("media_outlets.outlet_id"), nullable=False),
    Column("role", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("evidence_json", Text, nullable=False),
    Column("alternatives_json", Text, nullable=False, server_default="[]"),
    Column("status", Text, nullable=False, server_default="proposed"),
    Column("proposed_at", Text, nullable=False),
    Column("reviewer", Text),
    Column("reviewed_at", Text),
    Column("review_note", Text),
    UniqueConstraint("platform", "handle", "outlet_id", name="media_link_proposals_once"),
    CheckConstraint("status IN ('proposed', 'accepted', 'rejected')", name="media_link_proposals_status"),
)

# -- hand-off delivery to webhooks (revision 0008) -------------------------------------------------------------------
ops_delivery_hosts = Table(
    "ops_delivery_hosts",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("added_by", Text, nullable=False),
    Column("added_at", Text, nullable=False),
)

ops_deliveries = Table(
    "ops_deliveries",
    metadata,
    Column("endpoint", Text, primary_key=True),
    Column("idempotency_key", String(64), primary_key=True),
    # the Idempotency-Key of the batch the record travels in: fixed when queued, so a re-send carries the same key
    Column("batch_key", String(64), nullable=False),
    Column("position", Integer, nullable=False),
    Column("case_id", String(32), nullable=False),
    Column("action_id", Integer, nullable=False),
    Column("record_json", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_http_status", Integer),
    Column("last_error", Text),
    Column("next_attempt_at", Text),
    Column("queued_at", Text, nullable=False),
    Column("delivered_at", Text),
    CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="ops_deliveries_status"),
    Index("ops_deliveries_batch", "endpoint", "batch_key"),
    Index("ops_deliveries_due", "status", "next_attempt_at"),
)

# -- watch alerts (revision 0009) --------------------------------------------------------------------------------------
ops_watch_alerts = Table(
    "ops_watch_alerts",
    metadata,
    Column("alert_id", String(32), primary_key=True),
    Column("raised_at", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("seeds_ref", Text, nullable=False),
    Column("min_score", Float, nullable=False),
    Column("n_accounts", Integer, nullable=False),
)

ops_watch_alert_accounts = Table(
    "ops_watch_alert_accounts",
    metadata,
    Column("alert_id", String(32), ForeignKey("ops_watch_alerts.alert_id"), primary_key=True),
    Column("account_id", Text, primary_key=True),
    # NULL when the watcher had no calibration to turn evidence into a score (watch --no-expand)
    Column("score", Float),
    Column("nats", Float, nullable=False),
    Column("actions_seen", Integer, nullable=False),
    Column("evidence_json", Text, nullable=False),
)
