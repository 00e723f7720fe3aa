"""``sync_post``: accounts whose posting times coincide far beyond chance.

Consumes every action with a time; the target is the time slot ``floor(t / slot_s)`` (any post, any content) and the
window is one slot. Alone, a shared slot means nothing — thousands of accounts post in any busy minute — so this
detector relies entirely on the kernel's null model: a slot's expected co-occupancy grows with its traffic and with
each account's activity, and only pairs that share many more slots than that become edges (scheduled or
centrally-driven accounts). The window is fixed by ``slot_s``; the run's ``window_s`` does not apply. Its own
``hot_cell_actions`` (10) overrides the run's: with minute-resolution timestamps every busy minute is one hot cell.
"""

from flockwatch.detect.base import Detector, epoch_s


def _sql(p):
    slot = float(p["slot_s"])
    return f"""
SELECT account_id, target, target AS unit, acted_at_s, action_id FROM (
  SELECT account_id, CAST(CAST(floor(({epoch_s()}) / {slot}) AS BIGINT) AS VARCHAR) AS target,
         {epoch_s()} AS acted_at_s, action_id
  FROM actions WHERE acted_at IS NOT NULL AND kind IN ('post', 'repost', 'reply', 'quote', 'share')
)"""


DETECTOR = Detector(
    name="sync_post",
    description="Acted in the same few seconds, across many slots, far more often than chance.",
    build_sql=_sql,
    # Archives often carry minute-resolution times, which put a busy minute's actions in one slot; a small hot-cell
    # limit keeps this detector's pairs linear in the number of actions (kernel.py).
    default_params={"window_s": 2.0, "slot_s": 2.0, "hot_cell_actions": 10},
    fixed_window=True,
    attach_cells=False,
)
