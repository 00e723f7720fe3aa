import json

import numpy as np

from flockwatch.expand import ExpansionParams, expand
from flockwatch.expand.expansion import q_values, stratified_q_values

from expand_scenario import T0, build_scenario, insert_accounts, insert_infra
from fwtest import read_csv


def test_planted_amplifier_ranks_first_with_its_evidence(ws, scenario):
    x = expand(ws, scenario["seeds"], ExpansionParams(window_s=600, rounds=1))
    assert x.account_ids[0] == "amp"
    ev = x.evidence[0]
    assert ev["amplification"]["actions"] == 8
    assert set(ev["amplification"]["action_ids"]) <= {f"amp_r{k}" for k in range(8)}
    # the co-action examples name the amplifier's own action and the seed action it matched
    ex = ev["co_action"]["examples"][0]
    assert ex["action_id"].startswith("amp_r") and ex["seed_action_id"].startswith("s")
    assert ex["seed"] in scenario["seeds"]
    assert x.raw_nats[0] > 5 * max(x.raw_nats[1:], default=0)
    assert x.scores[0] >= max(x.scores[1:], default=0)


def test_hot_hashtag_alone_is_no_evidence(ws, scenario):
    x = expand(ws, scenario["seeds"], ExpansionParams(window_s=600, rounds=1))
    organic = [i for i, a in enumerate(x.account_ids) if a.startswith("o")]
    # organic accounts share #news with the seeds all the time: co-actions there are what chance predicts
    for i in organic:
        assert x.evidence[i].get("co_action", {}).get("nats", 0.0) < 3.0
        assert x.scores[i] < 0.5


def test_reposts_outside_the_window_are_not_co_actions(ws):
    sc = build_scenario(ws, amp_delay_min=120)
    x = expand(ws, sc["seeds"], ExpansionParams(window_s=600, rounds=1))
    i = x.account_ids.index("amp")
    ev = x.evidence[i]
    assert "co_action" not in ev or all(
        e["why"] != "reposted/quoted the same post" for e in ev["co_action"]["examples"]
    )
    assert ev["amplification"]["actions"] == 8  # amplification does not depend on time


def test_without_the_amplifier_nothing_scores_high(ws):
    sc = build_scenario(ws, with_amp=False)
    x = expand(ws, sc["seeds"], ExpansionParams(window_s=600, rounds=1))
    assert "amp" not in x.account_ids
    assert (x.scores < 0.5).all()


def test_rare_shared_prefix_weighs_more_than_a_national_isp(ws, scenario):
    rows = [(s, "45.76.1.0/24", 20473, "US", True) for s in scenario["seeds"]]
    rows += [(s, "1.64.0.0/10", 4760, "HK", False) for s in scenario["seeds"]]
    rows += [("o1", "45.76.1.0/24", 20473, "US", True)]
    rows += [(f"o{i}", "1.64.0.0/10", 4760, "HK", False) for i in range(2, 60)]
    insert_infra(ws, rows)
    x = expand(ws, scenario["seeds"], ExpansionParams(window_s=600, rounds=1))
    nats = {a: e.get("infrastructure", {}).get("nats", 0.0) for a, e in zip(x.account_ids, x.evidence, strict=True)}
    # every seed and most other accounts use the ISP: it says nothing; the range only the seeds and o1 use does
    assert nats["o1"] > 2.0
    assert nats.get("o2", 0.0) < 0.2
    assert "45.76.1.0/24" in x.evidence[x.account_ids.index("o1")]["infrastructure"]["shared_prefixes"]


def test_creation_and_template_only_corroborate(ws, scenario):
    import datetime as dt

    burst = T0 - dt.timedelta(days=30)
    insert_accounts(
        ws,
        [
            {"account_id": s, "screen_name": f"Lina{40000000 + i}", "created_at": burst}
            for i, s in enumerate(scenario["seeds"])
        ]
        + [
            {"account_id": "amp", "screen_name": "Mark52831547", "created_at": burst},
            {"account_id": "o5", "screen_name": "Wong12345678", "created_at": burst},
        ]
        + [
            {"account_id": f"o{i}", "screen_name": f"user_{i}", "created_at": T0 - dt.timedelta(days=900 + i)}
            for i in range(6, 60)
        ],
    )
    x = expand(ws, scenario["seeds"], ExpansionParams(window_s=600, rounds=1))
    ev = dict(zip(x.account_ids, x.evidence, strict=True))
    assert "creation" in ev["amp"] and "name_template" in ev["amp"]
    # same burst and template, but no behavioural link: the account signals alone do not count
    assert "creation" not in ev.get("o5", {}) and "name_template" not in ev.get("o5", {})


def test_csv_output_is_ranked_with_json_evidence(ws, scenario, tmp_path):
    x = expand(ws, scenario["seeds"], ExpansionParams(window_s=600, rounds=1))
    out = x.write_csv(tmp_path / "x.csv")
    rows = read_csv(out)
    assert list(rows[0]) == ["account_id", "score", "evidence"]
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert rows[0]["account_id"] == "amp"
    assert "amplification" in json.loads(rows[0]["evidence"])
    assert not {r["account_id"] for r in rows} & set(scenario["seeds"])


def test_q_values_follow_decoys():
    real = np.array([10.0, 9.0, 8.0, 1.0, 0.5])
    q_none = q_values(real, np.zeros(5))
    # no decoy reaches any score: the whole list's (0 + 1) / 5 is the best FDR every item belongs to
    assert np.allclose(q_none, 0.2)
    q_some = q_values(real, np.array([8.5, 0.0, 0.0]))
    assert np.allclose(q_some, 0.4) and (q_some > q_none).all()  # one decoy at 8.5: (1 + 1) / 5 at best
    assert (np.diff(q_none[np.argsort(-real)]) >= 0).all()  # monotone in the score
    q_same = q_values(real, real.copy())
    assert (q_same >= 0.99).all()  # decoys as strong as reals: nothing is trustworthy


def test_stratified_q_values_keep_active_accounts_chance_evidence_in_their_stratum():
    # 300 one-action candidates (stratum 1) with 6 nats each; 300 very active ones (stratum 10) with 6-20 nats
    real = np.concatenate([np.full(300, 6.0), np.linspace(6.0, 20.0, 300)])
    real_stratum = np.concatenate([np.full(300, 1), np.full(300, 10)])
    # decoys: one-action ones collect at most 2 nats; active ones reach 30 by chance (overdispersed amplification)
    decoy = np.concatenate([np.full(300, 2.0), np.linspace(0.0, 30.0, 300)])
    decoy_stratum = real_stratum.copy()
    accounts = np.zeros(13, dtype=int)
    accounts[[1, 10]] = 1000
    pool = accounts.copy()
    q = stratified_q_values(real, real_stratum, decoy, decoy_stratum, accounts, pool)
    pooled = q_values(real, decoy)
    # pooled, the active decoys' tail sinks the one-action accounts; stratified, no one-action decoy comes close
    assert pooled[:300].min() > 0.3
    assert q[:300].max() < 0.05
    # the active stratum is judged against its own heavy tail: no better than pooled at the top
    assert q[300:].min() >= 0.2


def test_stratified_q_values_pool_small_strata():
    # 10 candidates per stratum: below min_candidates, all strata form one group, the same as the pooled estimate
    real = np.linspace(1.0, 10.0, 30)
    strata = np.repeat([1, 2, 3], 10)
    counts = np.full(13, 100)
    q = stratified_q_values(real, strata, real[::3] - 0.5, strata[::3], counts, counts, min_candidates=50)
    assert np.allclose(q, q_values(real, real[::3] - 0.5))


def test_anchor_links_without_examples_keeps_every_count(ws, scenario):
    """A decoy run asks for no example lists: the counts and nats it is scored on are those of the full run."""
    from flockwatch.expand import links

    with ws.engine.scratch("t") as s:
        links.prepare(ws.engine, s)
        ids = list(scenario["seeds"])
        ws.engine.sql(
            f"CREATE TEMP TABLE {s.anchors} AS SELECT acct FROM {s.acct} WHERE account_id IN ({', '.join('?' * len(ids))})",
            ids,
        )
        full = links.anchor_links(ws.engine, s, s.anchors, window_s=600).sort_by("account_id")
        bare = links.anchor_links(ws.engine, s, s.anchors, window_s=600, examples=0).sort_by("account_id")
    counts = ["account_id", "n_actions", "co_hits", "co_expected", "amp_hits", "amp_expected", "infra_nats"]
    assert full.num_rows > 0 and full.select(counts).equals(bare.select(counts))
    assert any(v for v in full.column("co_examples").to_pylist())
    for col in ("co_examples", "co_seeds", "amp_actions", "amp_seeds", "shared_prefixes"):
        assert bare.column(col).null_count == bare.num_rows


def test_anchor_links_reuse_target_statistics_across_anchor_sets(ws, scenario):
    """links.anchor_links keeps each target's span and burstiness for later calls on the same scratch (they do not
    depend on the anchor set): links to a second anchor set are the same after a first as on a fresh scratch."""
    import pyarrow as pa

    from flockwatch.expand import links

    e = ws.engine

    def run(s, anchor_sets):
        links.prepare(e, s)
        out = None
        for accounts in anchor_sets:
            ids = s.register("ids", pa.table({"account_id": accounts}))
            e.sql(
                f"CREATE OR REPLACE TEMP TABLE {s.anchors} AS SELECT acct FROM {s.acct} JOIN {ids} USING (account_id)"
            )
            s.unregister(ids)
            out = links.anchor_links(e, s, s.anchors, window_s=600)
        return out.sort_by("acct").to_pylist()

    organic = ["o1", "o2", "o3", "amp"]
    with e.scratch("fresh") as s:
        fresh = run(s, [organic])
    with e.scratch("kept") as s:
        kept = run(s, [scenario["seeds"], organic])
        assert e.count(s.tstat) > 0
    assert kept == fresh
    assert any(r["co_hits"] for r in fresh)
