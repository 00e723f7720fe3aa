"""A small simulated platform for the console tests, with hostile text planted where analysts will read it.

``build(dir)`` simulates the ``small`` preset (about 20,000 actions, one planted operation), ingests it, writes the
XSS corpus into the display names, bios, profile URLs, post texts and hashtags of the operation's accounts (so that
they reach the queue, the network page, a link's evidence and the account page), then detects and builds networks.
Every payload tries to set ``window.__xss``; the browser tests check that it never is.
"""

from __future__ import annotations

from pathlib import Path

from flockwatch.detect import detect
from flockwatch.ingest import ingest_paths
from flockwatch.networks import build_networks
from flockwatch.simulate import simulate
from flockwatch.workspace import Workspace

SENTINEL = "__xss"
LONG = "A" * 9_990 + "<b>long</b>"
XSS_CORPUS = [
    f"<script>window.{SENTINEL}=1</script>",
    f'"><img src=x onerror="window.{SENTINEL}=1">',
    f"<svg onload=window.{SENTINEL}=1><circle r=5></svg>",
    f"<svg><script>window.{SENTINEL}=1</script></svg>",
    f"javascript:window.{SENTINEL}=1",
    f'<a href="javascript:window.{SENTINEL}=1">click</a>',
    f'<iframe srcdoc="<script>parent.{SENTINEL}=1</script>"></iframe>',
    f"' onmouseover='window.{SENTINEL}=1' x='",
    "\u202eevil\u202c \u2067rtl\u2069 gnp.exe",
    "{{7*7}} {% raw %}{% endraw %} ${7*7}",
    f"</textarea></title><style>*{{display:none}}</style><script>window.{SENTINEL}=1</script>",
    LONG,
]
#: the hashtag written into the operation's posts (lower-case: hashtags are stored lower-cased)
HOSTILE_TAG = f"<svg/onload=window.{SENTINEL}=1>"


def build(root: Path) -> Path:
    """Simulate, ingest, plant the corpus, detect; returns the workspace directory."""
    data, ws_dir = root / "data", root / "ws"
    simulate(data, preset="small", seed=7, n_actions=20_000)
    files = sorted(data.glob("sim_*_csv_*.csv")) + [data / "logins.csv"]
    with Workspace.open(ws_dir, create=True) as ws:
        ingest_paths(ws, files)
        plant(ws)
        run = detect(ws)
        build_networks(ws, run.run_id)
    return ws_dir


def plant(ws: Workspace) -> None:
    """Write the corpus over the profiles and posts of the accounts that post the operation's top hashtag."""
    e = ws.engine
    ops = [
        r[0]
        for r in e.sql(
            """SELECT a.account_id FROM actions a JOIN action_hashtags h USING (platform, action_id)
               WHERE h.hashtag = 'hongkong' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 60"""
        ).rows()
    ]
    for i, acc in enumerate(ops):
        payload = XSS_CORPUS[i % len(XSS_CORPUS)]
        e.sql(
            "UPDATE accounts SET display_name = ?, description = ?, profile_url = ?, screen_name = ? "
            "WHERE account_id = ?",
            [payload, XSS_CORPUS[(i + 1) % len(XSS_CORPUS)], f"javascript:window.{SENTINEL}=1", payload[:40], acc],
        )
        e.sql(
            "UPDATE actions SET text = ? || ' ' || coalesce(text, '') WHERE account_id = ?",
            [XSS_CORPUS[(i + 2) % len(XSS_CORPUS)], acc],
        )
    # the operation's favourite hashtag becomes hostile: it is a shared target, so it shows as a top target
    e.sql("UPDATE action_hashtags SET hashtag = ? WHERE hashtag = 'hongkong'", [HOSTILE_TAG])
    e.sql(
        "UPDATE action_urls SET url = ? WHERE url IN (SELECT url FROM action_urls LIMIT 5)",
        [f"javascript:window.{SENTINEL}=1"],
    )
