"""Profile reuse: the same profile description, website or avatar on several accounts.

Consumes ``accounts.description`` and ``accounts.profile_url`` (and an ``avatar_hash`` column when a workspace
has one — the canonical schema does not yet carry avatars; the signal picks the column up when it appears);
produces ``profile_reuse`` rows for scoped accounts whose profile field is shared with at least one other account
on the platform.

What it measures: for each field, text is normalised (lower-cased, whitespace collapsed, trimmed); texts shorter than
``min_chars`` are ignored (``"hi"``, ``"."`` are shared by chance). n = number of accounts on the platform with the
same normalised value; ``value = 1 - 1/n`` of the most-shared field. Evidence: the field, the shared value (cut to
120 characters) and n, plus how many of those accounts are in scope.

False-positive risks: boilerplate bios (``"Official account"``, ``"Follow me"``), an organisation's many legitimate
branch accounts sharing one website, fan accounts quoting the same lyric; stock or default avatars.
"""

from __future__ import annotations

import pyarrow as pa

from flockwatch.engine import Engine
from flockwatch.signals.base import (
    Scope,
    fetch_arrow,
    finish,
    first_row,
    platform_filter,
)

NAME = "profile_reuse"


def compute(engine: Engine, scope: Scope, min_chars: int = 12) -> pa.Table:
    plat, params = platform_filter(scope)
    has_avatar = first_row(
        engine,
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'avatar_hash'",
    )[0]
    fields = ["description", "profile_url"] + (["avatar_hash"] if has_avatar else [])
    unions = " UNION ALL ".join(
        f"SELECT platform, account_id, '{f}' AS field, "
        f"trim(regexp_replace(lower({f}::VARCHAR), '\\s+', ' ', 'g')) AS norm FROM accounts "
        f"WHERE {f} IS NOT NULL"
        for f in fields
    )
    out = fetch_arrow(
        engine,
        f"""
        WITH v AS (SELECT * FROM ({unions}) WHERE (len(norm) >= {int(min_chars)} OR field = 'avatar_hash'){plat}),
        shared AS (SELECT platform, field, norm, count(DISTINCT account_id) AS n FROM v GROUP BY ALL HAVING n > 1),
        scoped AS (SELECT v.* FROM v JOIN {scope.accounts_sql} s USING (platform, account_id)),
        scope_shared AS (SELECT platform, field, norm, count(DISTINCT account_id) AS scope_n FROM scoped GROUP BY ALL),
        hits AS (
          SELECT s.platform, s.account_id, s.field, s.norm, sh.n, ss.scope_n,
            row_number() OVER (PARTITION BY s.platform, s.account_id ORDER BY sh.n DESC, s.field) AS rk
          FROM scoped s JOIN shared sh USING (platform, field, norm) JOIN scope_shared ss USING (platform, field, norm)
        )
        SELECT platform, account_id, '{NAME}' AS signal, 1.0 - 1.0 / n AS value,
          json_object('field', field, 'shared_value', left(norm, 120), 'accounts_sharing_on_platform', n,
                      'accounts_sharing_in_scope', scope_n) AS evidence
        FROM hits WHERE rk = 1
        ORDER BY value DESC, account_id
        """,
        params,
    )
    return finish(out)
