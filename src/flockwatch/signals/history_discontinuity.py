"""History discontinuity: accounts whose past does not fit their present — dormant then active, a language switch,
renamed handles.

Consumes ``actions`` (``acted_at``, ``language``; through the scope's timeline, ``signals/base.py``) and
``account_handles`` (every handle an account has been seen under); produces ``history_discontinuity`` rows for scoped
accounts with at least one action or handle.

What it measures, three indicators (each 0 or 1); ``value`` is the largest:

* ``dormant_then_active`` — the longest silence between two consecutive actions is at least ``dormant_days`` and at
  least ``min_after`` actions follow it: a long-idle account woken up (bought, hijacked or held in reserve);
* ``language_switch`` — the dominant language of the account's first half of actions differs from that of its
  second half, each half with at least ``min_half`` actions and its dominant language at least ``min_share`` of it:
  an account repurposed for another audience;
* ``renamed`` — seen under two or more handles (case-insensitive): operations rename bought or reused accounts to
  fit the persona.

Evidence: the gap in days and when activity resumed, the two languages with their shares, the handles.

False-positive risks: people do go quiet for months (holidays, exams) and come back for an event; bilingual people
switch languages with their topic; renaming is common after marriage, rebranding or a joke. An archive that holds
only a window of activity shows no long gaps at all (absence of the indicator is not evidence of authenticity).
Only a network *mostly* made of such accounts, against the platform's uncoordinated accounts, means something
(``networks/assessment.py``).
"""

from __future__ import annotations

import pyarrow as pa

from flockwatch.engine import Engine
from flockwatch.signals.base import Scope, fetch_arrow, finish

NAME = "history_discontinuity"


def compute(
    engine: Engine,
    scope: Scope,
    dormant_days: float = 30.0,
    min_after: int = 3,
    min_half: int = 5,
    min_share: float = 0.6,
) -> pa.Table:
    handles = (
        f"""(SELECT h.platform, h.account_id, list(DISTINCT lower(h.screen_name) ORDER BY lower(h.screen_name))
                      AS handles
               FROM account_handles h JOIN {scope.accounts_sql} s USING (platform, account_id)
              WHERE h.screen_name IS NOT NULL GROUP BY ALL)"""
        if engine.table_exists("account_handles")
        else "(SELECT NULL::VARCHAR AS platform, NULL::VARCHAR AS account_id, NULL::VARCHAR[] AS handles LIMIT 0)"
    )
    out = fetch_arrow(
        engine,
        f"""
        WITH acts AS (
          SELECT platform, account_id, acted_at, language, gap_s, i, n FROM {scope.timeline_sql()}
        ), gaps AS (
          -- the longest silence: of equal ones the first (ties broken by rank: the same on every run, and when
          -- activity resumed and how many actions followed come from the same silence)
          SELECT platform, account_id, any_value(n) AS n_actions, max(gap_s) AS max_gap_s,
                 arg_max(acted_at, (gap_s, -i)) FILTER (WHERE gap_s IS NOT NULL) AS resumed_at,
                 arg_max(n - i + 1, (gap_s, -i)) FILTER (WHERE gap_s IS NOT NULL) AS after
            FROM acts GROUP BY ALL
        ), halves AS (
          SELECT platform, account_id, second, language, count(*) AS c,
                 sum(count(*)) OVER (PARTITION BY platform, account_id, second) AS half_n
            FROM (SELECT platform, account_id, language, (2 * (i - 1) >= n) AS second FROM acts
                   WHERE language IS NOT NULL AND language <> '')
           GROUP BY platform, account_id, second, language
        ), dominant AS (
          -- the most used language; of equally used ones the first by code (the same on every run)
          SELECT platform, account_id, second, arg_min(language, (-c, language)) AS lang,
                 max(c) / any_value(half_n) AS share,
                 any_value(half_n) AS half_n
            FROM halves GROUP BY ALL
        ), switch AS (
          SELECT f.platform, f.account_id, f.lang AS lang_before, round(f.share, 3) AS share_before,
                 l.lang AS lang_after, round(l.share, 3) AS share_after,
                 f.lang <> l.lang AND f.half_n >= {int(min_half)} AND l.half_n >= {int(min_half)}
                   AND f.share >= {float(min_share)} AND l.share >= {float(min_share)} AS switched
            FROM dominant f JOIN dominant l USING (platform, account_id) WHERE NOT f.second AND l.second
        ), ind AS (
          SELECT s.platform, s.account_id,
                 coalesce(g.max_gap_s >= {float(dormant_days) * 86400.0} AND g.after >= {int(min_after)}, false)
                   AS dormant,
                 coalesce(sw.switched, false) AS switched,
                 coalesce(len(h.handles) >= 2, false) AS renamed,
                 g.max_gap_s, g.resumed_at, sw.lang_before, sw.share_before, sw.lang_after, sw.share_after,
                 h.handles, g.n_actions
            FROM {scope.accounts_sql} s LEFT JOIN gaps g USING (platform, account_id)
            LEFT JOIN switch sw USING (platform, account_id) LEFT JOIN {handles} h USING (platform, account_id)
           WHERE g.account_id IS NOT NULL OR h.account_id IS NOT NULL
        )
        SELECT platform, account_id, '{NAME}' AS signal,
               CASE WHEN dormant OR switched OR renamed THEN 1.0 ELSE 0.0 END AS value,
               json_object('dormant_then_active', dormant,
                           'longest_silence_days', round(coalesce(max_gap_s, 0) / 86400.0, 2),
                           'resumed_at', strftime(resumed_at, '%Y-%m-%dT%H:%M:%S'),
                           'language_switch', switched, 'language_before', lang_before,
                           'language_before_share', share_before, 'language_after', lang_after,
                           'language_after_share', share_after,
                           'renamed', renamed, 'handles', coalesce(handles[1:10], []),
                           'actions', coalesce(n_actions, 0)) AS evidence
          FROM ind ORDER BY value DESC, account_id
        """,
    )
    return finish(out)
