"""What an account set is saying, against everyone else, and how that changes week by week.

Consumes ``actions`` (+ ``action_hashtags``, ``action_urls``, ``action_mentions``) and an account list; produces a
:class:`NarrativeSummary` of Arrow tables:

- ``top``: per facet (``hashtag``, ``domain``, ``term``, ``language``, ``target``) the ``top_n`` items of the account
  set by the number of its actions carrying the item, with the share of the set's actions, the same for the
  background (all other accounts of the platform) and ``lift`` = smoothed ratio of the two shares — a lift of 20
  means the set uses the item 20 times as often as everyone else does;
- ``weekly``: per ISO week and facet the ``weekly_top_n`` items of the set, with the previous week's count, the
  change, and whether the item is new that week;
- ``activity``: actions of the set per ISO week.

Terms are words, word pairs and CJK character bigrams (``narratives/tokens.py``). Targets are accounts the set
reposts, replies to, quotes or mentions. Counts are *actions* (an item used three times in one post counts once).
To add a facet: one more ``UNION ALL`` branch in :func:`_items_sql` yielding ``(action_id, facet, item)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from flockwatch.errors import UnknownNameError
from flockwatch.narratives.tokens import cjk_bigrams_sql, phrases_sql, words_sql
from flockwatch.signals.base import account_scope, fetch_arrow, first_row
from flockwatch.signals.language_location import language_code_sql

if TYPE_CHECKING:
    from flockwatch.workspace import Workspace

FACETS = ("hashtag", "domain", "term", "language", "target")


@dataclass
class NarrativeSummary:
    """Top items per facet with lift against the background, and their week-by-week change."""

    top: pa.Table
    weekly: pa.Table
    activity: pa.Table
    network_actions: int
    background_actions: int
    facets: tuple[str, ...] = field(default=FACETS)

    def top_items(self, facet: str) -> list[dict]:
        return [r for r in self.top.to_pylist() if r["facet"] == facet]

    def weekly_items(self, facet: str) -> list[dict]:
        return [r for r in self.weekly.to_pylist() if r["facet"] == facet]


def _items_sql(actions_sql: str, facets: Sequence[str], phrases: bool, term_filter: str = "TRUE") -> str:
    """``(platform, action_id, facet, item)`` for every facet; ``term_filter`` limits which actions are tokenised."""
    branches = {
        "hashtag": f"SELECT a.platform, a.action_id, 'hashtag' AS facet, lower(h.hashtag) AS item "
        f"FROM {actions_sql} a JOIN action_hashtags h USING (platform, action_id)",
        "domain": f"SELECT a.platform, a.action_id, 'domain' AS facet, "
        f"lower(regexp_replace(u.domain, '^www\\.', '')) AS item "
        f"FROM {actions_sql} a JOIN action_urls u USING (platform, action_id) WHERE u.domain IS NOT NULL",
        "term": (
            "SELECT platform, action_id, 'term' AS facet, unnest(list_distinct(list_concat(w, c"
            + (f", {phrases_sql('w')}" if phrases else "")
            + f"))) AS item FROM (SELECT platform, action_id, {words_sql('text')} AS w, "
            f"{cjk_bigrams_sql('text')} AS c FROM {actions_sql} WHERE text IS NOT NULL AND ({term_filter}))"
        ),
        "language": f"SELECT platform, action_id, 'language' AS facet, {language_code_sql('language')} AS item "
        f"FROM {actions_sql} WHERE language IS NOT NULL",
        "target": f"SELECT platform, action_id, 'target' AS facet, target_account_id AS item FROM {actions_sql} "
        f"WHERE target_account_id IS NOT NULL AND kind IN ('repost', 'reply', 'quote', 'share') "
        f"UNION SELECT a.platform, a.action_id, 'target' AS facet, m.mentioned_account_id AS item "
        f"FROM {actions_sql} a JOIN action_mentions m USING (platform, action_id)",
    }
    return " UNION ALL ".join(f"SELECT DISTINCT * FROM ({branches[f]})" for f in facets)


def summarise_narratives(
    ws: Workspace,
    account_ids: Sequence[str],
    platform: str | None = None,
    top_n: int = 20,
    weekly_top_n: int = 5,
    facets: Sequence[str] = FACETS,
    phrases: bool = True,
    min_network_actions: int = 2,
    background_term_sample_actions: int = 200_000,
) -> NarrativeSummary:
    """Summarise what ``account_ids`` push, with lift against all other accounts (of ``platform`` when given).

    ``min_network_actions``: items the set used fewer times are left out of ``top`` (one-off words make huge,
    meaningless lifts). ``background_term_sample_actions``: tokenising every background post is the expensive part
    on a whole platform, so background *terms* come from a deterministic hash sample of about this many
    background actions (the network's own actions are always all read); their background counts are scaled up
    and flagged ``background_estimated``. Hashtags, domains, languages and targets are always counted exactly.
    """
    unknown = [f for f in facets if f not in FACETS]
    if unknown:
        raise UnknownNameError("narrative facet", unknown[0], FACETS)
    engine = ws.engine
    # the platform is bound (``?``), never pasted: it comes from the command line
    plat, params = ("", []) if platform is None else ("WHERE platform = ?", [platform])
    with account_scope(engine, account_ids, platform) as scope:
        flagged = (
            f"(SELECT a.*, (s.account_id IS NOT NULL) AS in_net FROM (SELECT * FROM actions {plat}) a "
            f"LEFT JOIN {scope.accounts_sql} s USING (platform, account_id))"
        )
        totals = first_row(
            engine, f"SELECT count(*) FILTER (WHERE in_net), count(*) FILTER (WHERE NOT in_net) FROM {flagged}", params
        )
        n_net, n_bg = int(totals[0] or 0), int(totals[1] or 0)
        frac = min(1.0, background_term_sample_actions / n_bg) if n_bg else 1.0
        # hash(action_id) is stable across runs: the same workspace gives the same sample, hence the same report
        term_filter = "in_net" + ("" if frac >= 1.0 else f" OR hash(action_id) % 1000000 < {int(frac * 1_000_000)}")
        sampled_frac = 1.0 if frac >= 1.0 else int(frac * 1_000_000) / 1_000_000
        top = fetch_arrow(
            engine,
            f"""
            WITH fa AS MATERIALIZED (
              SELECT platform, action_id, account_id, kind, target_account_id, text, language, in_net FROM {flagged}
            ),
            items AS (
              SELECT * FROM ({_items_sql("fa", facets, phrases, term_filter)}) WHERE item IS NOT NULL AND item <> ''
            ),
            raw AS (
              SELECT i.facet, i.item,
                count(*) FILTER (WHERE f.in_net) AS network_n, count(*) FILTER (WHERE NOT f.in_net) AS background_raw
              FROM items i JOIN fa f USING (platform, action_id) GROUP BY i.facet, i.item
            ), counts AS (
              SELECT facet, item, network_n,
                CASE WHEN facet = 'term' THEN round(background_raw / {sampled_frac})::BIGINT ELSE background_raw END
                  AS background_n,
                (facet = 'term' AND {sampled_frac} < 1.0) AS background_estimated
              FROM raw
            ), scored AS (
              SELECT facet, item, network_n, network_n / {max(n_net, 1)} AS network_share,
                background_n, background_estimated, background_n / {max(n_bg, 1)} AS background_share,
                ((network_n + 1.0) / ({n_net} + 1.0)) / ((background_n + 1.0) / ({n_bg} + 1.0)) AS lift
              FROM counts WHERE network_n >= {int(min_network_actions)}
            )
            SELECT *, row_number() OVER (PARTITION BY facet ORDER BY network_n DESC, lift DESC, item) AS rank
            FROM scored QUALIFY rank <= {int(top_n)} ORDER BY facet, rank
            """,
            params,
        )
        net_actions = scope.actions_sql
        weekly = fetch_arrow(
            engine,
            f"""
            WITH n AS MATERIALIZED (SELECT platform, action_id, date_trunc('week', acted_at)::DATE AS week_start
                                    FROM {net_actions} WHERE acted_at IS NOT NULL),
            items AS (SELECT * FROM ({_items_sql(net_actions, facets, phrases)}) WHERE item IS NOT NULL AND item <> ''),
            wk AS (SELECT week_start, count(*) AS week_actions FROM n GROUP BY week_start),
            c AS (
              SELECT n.week_start, i.facet, i.item, count(*) AS n FROM items i JOIN n USING (platform, action_id)
              GROUP BY ALL
            ), ranked AS (
              SELECT c.*, row_number() OVER (PARTITION BY week_start, facet ORDER BY n DESC, item) AS rank FROM c
            )
            SELECT r.week_start, strftime(r.week_start, '%G-W%V') AS week, r.facet, r.item, r.n,
              r.n / wk.week_actions AS share_of_week, r.rank, coalesce(p.n, 0) AS previous_week_n,
              r.n - coalesce(p.n, 0) AS change, p.n IS NULL AS is_new
            FROM ranked r JOIN wk USING (week_start)
            LEFT JOIN c p ON p.facet = r.facet AND p.item = r.item AND p.week_start = r.week_start - INTERVAL 7 DAY
            WHERE r.rank <= {int(weekly_top_n)}
            ORDER BY r.week_start, r.facet, r.rank
            """,
        )
        activity = fetch_arrow(
            engine,
            f"""
            SELECT date_trunc('week', acted_at)::DATE AS week_start,
              strftime(date_trunc('week', acted_at), '%G-W%V') AS week, count(*) AS actions,
              count(DISTINCT account_id) AS active_accounts
            FROM {net_actions} WHERE acted_at IS NOT NULL GROUP BY ALL ORDER BY week_start
            """,
        )
    return NarrativeSummary(
        top=top, weekly=weekly, activity=activity, network_actions=n_net, background_actions=n_bg, facets=tuple(facets)
    )
