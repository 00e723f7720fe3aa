"""What an account signal is, and the account scope every signal, narrative and report query runs over.

Consumes an engine (the public entry points in registry/working_hours take a Workspace and pass its engine) and,
optionally, a list of account ids and a platform; produces Arrow tables with the
columns of :data:`SIGNAL_SCHEMA`: one row per (account, signal), ``value`` in [0, 1] (0 = nothing unusual, 1 = the
strongest form of the signal; each module documents its formula) and ``evidence`` as a JSON object naming the
measurements behind the value, so an analyst can see *why*.

To add a signal family: write one module with a function ``compute(ws, scope) -> pa.Table`` (use
:func:`empty_signals` / :func:`finish` for the output shape) and add one line to ``signals/registry.py``.

User-supplied values never become SQL text: account ids are a registered Arrow relation, and the platform is a
one-row registered relation in the scope's SQL fragments (those fragments are pasted into other modules' queries,
which cannot know about their parameters) and a bound ``?`` parameter everywhere else.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from flockwatch.engine import Engine

SIGNAL_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("account_id", pa.string()),
        ("signal", pa.string()),
        ("value", pa.float64()),
        ("evidence", pa.string()),
    ]
)


class Timeline:
    """The scope's actions of each account in time order, materialised on first use and read by every signal of
    the scope that looks at an account's rhythm (``history_discontinuity``, ``automation_cadence``): one window
    over the scope's actions instead of one per signal.

    Columns ``platform, account_id, action_id, acted_at, language, client`` and
    ``gap_s`` — seconds since the account's previous action (NULL for its first action and where a time is missing),
    ``i`` — the action's rank (1-based; ties on the time broken by action id), ``n`` — the account's actions.
    Actions without a time sort after the timed ones, so the gaps between timed actions are those of the timed
    actions alone.
    """

    def __init__(self, engine: Engine, name: str, actions_sql: str) -> None:
        self._engine = engine
        self._name = name
        self._actions_sql = actions_sql
        self._built = False

    @staticmethod
    def select_sql(actions_sql: str) -> str:
        """The SELECT of the timeline of the actions in relation ``actions_sql``."""
        return f"""SELECT platform, account_id, action_id, acted_at, language, client,
                          epoch(acted_at) - epoch(lag(acted_at) OVER w) AS gap_s, row_number() OVER w AS i,
                          count(*) OVER (PARTITION BY platform, account_id) AS n
                     FROM {actions_sql}
                   WINDOW w AS (PARTITION BY platform, account_id ORDER BY acted_at, action_id)"""

    def sql(self) -> str:
        """The relation's name (built on the first call)."""
        if not self._built:
            self._engine.sql(f"CREATE TEMP TABLE {self._name} AS {self.select_sql(self._actions_sql)}")
            self._built = True
        return self._name


@dataclass(frozen=True)
class Scope:
    """The accounts a computation covers.

    ``accounts_sql`` is a relation with columns ``(platform, account_id)``; ``actions_sql`` the actions of those
    accounts; ``timeline`` those actions per account in time order with the gaps between them (:class:`Timeline`).
    ``is_all`` is true when no account list was given (every account in the workspace), in which case the scope and
    the platform background are the same thing.
    """

    accounts_sql: str
    actions_sql: str
    is_all: bool
    platform: str | None = None
    timeline: Timeline | None = field(default=None, compare=False, repr=False)

    def timeline_sql(self) -> str:
        """The :class:`Timeline` relation of this scope (a scope built without one reads its actions directly)."""
        if self.timeline is None:
            return f"({Timeline.select_sql(self.actions_sql)})"
        return self.timeline.sql()


@contextlib.contextmanager
def account_scope(
    engine: Engine, account_ids: Sequence[str] | None = None, platform: str | None = None
) -> Iterator[Scope]:
    """Expose ``account_ids`` (all accounts when None) to SQL for the duration of the block.

    Accounts that act (or log in) but have no ``accounts`` row are included: archives often hold actions of
    accounts whose profile is missing, and signals over actions must still see them.
    """
    with engine.scratch("scope") as s:
        plat_filter, plat_and = "", ""
        if platform is not None:
            plat_name = s.register("platform", pa.table({"platform": pa.array([str(platform)], pa.string())}))
            plat_filter = f" WHERE platform IN (SELECT platform FROM {plat_name})"
            plat_and = f" WHERE a.platform IN (SELECT platform FROM {plat_name})"
        if account_ids is None:
            accounts_sql = (
                f"(SELECT DISTINCT platform, account_id FROM (SELECT platform, account_id FROM accounts{plat_filter} "
                f"UNION ALL SELECT platform, account_id FROM actions{plat_filter} "
                f"UNION ALL SELECT platform, account_id FROM infrastructure{plat_filter}))"
            )
            actions_sql = f"(SELECT * FROM actions{plat_filter})"
            yield Scope(accounts_sql, actions_sql, True, platform, Timeline(engine, s.timeline, actions_sql))
            return
        ids = pa.table({"account_id": pa.array(sorted(set(map(str, account_ids))), pa.string())})
        name = s.register("ids", ids)
        # the scope's (platform, account_id) keys, built once: every signal of the scope joins them, and as a
        # subquery each one scanned and de-duplicated the accounts of every action again (6 signals at 5M actions:
        # 0.1-0.2 s each); each table is cut to the listed ids before the union de-duplicates
        known = " UNION ALL ".join(
            f"SELECT platform, account_id FROM {t} SEMI JOIN {name} i USING (account_id){plat_filter}"
            for t in ("accounts", "actions", "infrastructure")
        )
        engine.sql(f"CREATE TEMP TABLE {s.keys} AS SELECT DISTINCT platform, account_id FROM ({known})")
        accounts_sql = s.keys
        actions_sql = f"(SELECT a.* FROM actions a SEMI JOIN {name} s ON a.account_id = s.account_id{plat_and})"
        yield Scope(accounts_sql, actions_sql, False, platform, Timeline(engine, s.timeline, actions_sql))


def platform_filter(scope: Scope, keyword: str = "AND") -> tuple[str, list[str]]:
    """``(sql, params)`` restricting a query's ``platform`` column to the scope's platform, as a bound parameter."""
    if scope.platform is None:
        return "", []
    return f" {keyword} platform = ?", [scope.platform]


def first_row(engine: Engine, query: str, params: Sequence[object] | None = None) -> tuple:
    """The first row of ``query`` (fully fetched, so no result is left open)."""
    rows = engine.sql(query, list(params) if params else None).rows()
    return rows[0] if rows else ()


def empty_signals() -> pa.Table:
    return SIGNAL_SCHEMA.empty_table()


def finish(table: pa.Table) -> pa.Table:
    """Cast a signal query's Arrow output to :data:`SIGNAL_SCHEMA` (column order and types)."""
    if table.num_rows == 0:
        return empty_signals()
    return table.select(SIGNAL_SCHEMA.names).cast(SIGNAL_SCHEMA)


def fetch_arrow(engine: Engine, query: str, params: Sequence[object] | None = None) -> pa.Table:
    """Run ``query`` (with bound ``params`` for its ``?`` placeholders) and return an Arrow table."""
    return engine.sql(query, list(params) if params else None).arrow()
