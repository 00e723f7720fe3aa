"""Name/handle templates: handles cut from the same pattern (letter+digit shapes, shared prefixes).

Consumes ``accounts.screen_name`` (falls back to nothing when missing); produces ``name_template`` and
``shared_prefix`` rows for scoped accounts.

What it measures:
- ``name_template``: the handle's length-coded shape — runs of letters ``L``, digits ``D`` and other characters kept
  as-is, each with its length (``john12345678`` → ``L4D8``; Twitter's default suggestions and bulk-registration
  scripts produce exactly such shapes). ``value = 1 - 1/n`` where n is the number of scoped accounts with the same
  shape (1 account → 0, 10 → 0.9); shapes that are common platform-wide are discounted by the platform share of the
  shape: ``value *= 1 - platform_share``. Evidence: the shape, the counts in scope and platform-wide, the length of a
  trailing digit run.
- ``shared_prefix``: the first ``prefix_chars`` letters (lower-cased) of the handle, when at least
  ``min_prefix_accounts`` scoped accounts share them. ``value = 1 - 1/n``.

False-positive risks: common first names make shared prefixes (``john``, ``maria``); platform default handles
(name + 8 digits) are also what ordinary new users keep, so a shape alone is weak — it counts when many accounts
of a candidate network share it *and* it is rare on the platform; pseudonymised archives hash screen names of small
accounts, so shapes of hashes carry nothing (those rows are skipped: ``id_is_pseudonymised``).
"""

from __future__ import annotations

import pyarrow as pa

from flockwatch.core.handles import handle_shape_sql
from flockwatch.engine import Engine
from flockwatch.signals.base import Scope, fetch_arrow, finish, platform_filter

NAME = "name_template"
PREFIX = "shared_prefix"


def compute(engine: Engine, scope: Scope, prefix_chars: int = 5, min_prefix_accounts: int = 3) -> pa.Table:
    plat, params = platform_filter(scope)
    out = fetch_arrow(
        engine,
        f"""
        WITH named AS (
          SELECT platform, account_id, screen_name, {handle_shape_sql("screen_name")} AS shape,
            lower(regexp_extract(screen_name, '^[A-Za-z]+')) AS letters,
            len(regexp_extract(screen_name, '[0-9]+$')) AS trailing_digits
          FROM accounts
          WHERE screen_name IS NOT NULL AND screen_name <> '' AND NOT coalesce(id_is_pseudonymised, false) {plat}
        ), platform_shapes AS (
          SELECT platform, shape, count(*) AS platform_n, count(*) / sum(count(*)) OVER (PARTITION BY platform)
            AS platform_share
          FROM named GROUP BY platform, shape
        ), scoped AS (
          SELECT n.* FROM named n JOIN {scope.accounts_sql} s USING (platform, account_id)
        ), scope_shapes AS (SELECT platform, shape, count(*) AS scope_n FROM scoped GROUP BY ALL),
        scope_prefixes AS (
          SELECT platform, left(letters, {int(prefix_chars)}) AS prefix, count(*) AS scope_n
          FROM scoped WHERE len(letters) >= {int(prefix_chars)} GROUP BY ALL
        )
        SELECT s.platform, s.account_id, '{NAME}' AS signal,
          (1.0 - 1.0 / ss.scope_n) * (1.0 - ps.platform_share) AS value,
          json_object('screen_name', s.screen_name, 'shape', s.shape, 'accounts_with_shape_in_scope', ss.scope_n,
                      'accounts_with_shape_on_platform', ps.platform_n,
                      'platform_share_of_shape', round(ps.platform_share, 6),
                      'trailing_digits', s.trailing_digits) AS evidence
        FROM scoped s JOIN scope_shapes ss USING (platform, shape) JOIN platform_shapes ps USING (platform, shape)
        UNION ALL
        SELECT s.platform, s.account_id, '{PREFIX}', 1.0 - 1.0 / sp.scope_n,
          json_object('screen_name', s.screen_name, 'prefix', sp.prefix, 'accounts_with_prefix_in_scope', sp.scope_n)
        FROM scoped s JOIN scope_prefixes sp
          ON s.platform = sp.platform AND left(s.letters, {int(prefix_chars)}) = sp.prefix
        WHERE sp.scope_n >= {int(min_prefix_accounts)}
        ORDER BY signal, value DESC, account_id
        """,
        params,
    )
    return finish(out)
