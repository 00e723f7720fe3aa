"""Hard negatives and the inauthenticity assessment on a simulated platform: precision, recall, hard negatives flagged.

Simulates a preset (default hk2019), ingests it, runs ``detect`` with its defaults, builds networks and evaluates
against the planted truth; reports flagged-account precision and recall, the planted recall, how many accounts of
each hard-negative community (``truth.json``) ended in a flagged network, and (``--ablation``) the same figures with
each inauthenticity evidence family removed in turn. Writes JSON under bench/results/.

Run: .venv/bin/python bench/cib_eval.py --preset hk2019 --actions 1000000 --seed 0 [--ablation]
     [--add DETECTOR ...] [--drop DETECTOR ...]   (the default detector set with these added / removed)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--preset", default="hk2019")
    p.add_argument("--actions", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ablation", action="store_true")
    p.add_argument("--workdir", default=None)
    p.add_argument("--add", nargs="*", default=[], help="detectors to run besides the default set")
    p.add_argument("--drop", nargs="*", default=[], help="default detectors to leave out")
    p.add_argument("--out", default=None)
    a = p.parse_args()
    from flockwatch.detect import DEFAULT_DETECTORS, detect
    from flockwatch.evaluate import evaluate
    from flockwatch.ingest import ingest_paths
    from flockwatch.networks import build_networks
    from flockwatch.simulate import simulate
    from flockwatch.workspace import Workspace

    work = Path(a.workdir or tempfile.mkdtemp(prefix="cib-"))
    t = {}
    t0 = time.perf_counter()
    data = work / "data"
    if not (data / "truth.json").exists():
        simulate(data, preset=a.preset, n_actions=a.actions, seed=a.seed)
    t["simulate_s"] = time.perf_counter() - t0
    wsdir = work / "ws"
    fresh = not wsdir.exists()
    with Workspace.open(wsdir, create=True) as ws:
        if fresh:
            t0 = time.perf_counter()
            ingest_paths(ws, sorted(data.glob("sim_*_csv_*.csv")) + [data / "logins.csv"])
            t["ingest_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        detectors = [d for d in DEFAULT_DETECTORS if d not in a.drop] + [d for d in a.add if d not in DEFAULT_DETECTORS]
        run = detect(ws, detectors=detectors)
        t["detect_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        nets = build_networks(ws, run.run_id)
        t["networks_s"] = time.perf_counter() - t0
        m = evaluate(ws, data / "truth.csv", run.run_id)
        out = {
            "preset": a.preset,
            "actions": a.actions,
            "seed": a.seed,
            "detectors": detectors,
            "timings_s": t,
            "fused": m["fused"],
            "networks_flagged": m["networks_flagged"],
            "fused_by_role": m["fused_by_role"],
        }
        out["hard_negatives"] = hard_negative_report(ws, data, run.run_id)
        out["networks"] = [
            {
                k: v
                for k, v in n.to_dict().items()
                if k in ("network_id", "size", "score", "flagged", "assessment", "priority")
            }
            for n in nets
            if n.size >= 3
        ][:40]
        if a.ablation:
            out["ablation"] = ablation(ws, run.run_id, data)
    print(json.dumps(out, indent=1, default=str))
    res = Path(a.out or f"bench/results/cib_{a.preset}_{a.actions}_s{a.seed}.json")
    res.parent.mkdir(parents=True, exist_ok=True)
    res.write_text(json.dumps(out, indent=1, default=str))


def ablation(ws, run_id: str, data: Path) -> dict:
    """Each evidence family removed in turn: the verdicts of the run's coordinated networks re-assessed without it,
    and which members carry the flag decided again (``networks/inheritance.py``; members as built with every family,
    growth and attachment are not re-run): flagged-account precision and recall and hard-negative accounts
    flagged."""
    import dataclasses

    from flockwatch.evaluate.metrics import read_truth
    from flockwatch.networks import load_networks
    from flockwatch.networks.assessment import AUTHENTIC, FAMILIES, assess_groups, collect
    from flockwatch.networks.inheritance import mark_weak_members

    truth = set(read_truth(data / "truth.csv"))
    negatives = set()
    for g in json.loads((data / "truth.json").read_text()).get("hard_negatives", {}).values():
        negatives |= set(g["account_ids"])
    nets = [n for n in load_networks(ws, run_id) if n.coordinated]
    groups = {n.network_id: n.members for n in nets}
    members = [m for n in nets for m in n.members]
    ev = collect(ws)
    out = {}
    for dropped in [None, *FAMILIES]:
        got = assess_groups(
            ws,
            groups,
            {n.network_id: n.score for n in nets},
            evidence=ev,
            background_exclude=members,
            drop_families=[dropped] if dropped else [],
        )
        redone = [
            dataclasses.replace(
                n,
                flagged=got[n.network_id].assessment != AUTHENTIC,
                assessment=got[n.network_id].assessment,
                assessment_detail=got[n.network_id].to_dict(),
                member_indicators=got[n.network_id].member_indicators,
                member_assessment=dict(got[n.network_id].member_assessment),
                member_evidence=dict(n.member_evidence),
            )
            for n in nets
        ]
        weak = mark_weak_members(ws, run_id, redone, ev)
        flagged = {m for n in redone for m in n.flagged_members}
        out[dropped or "none"] = {
            "precision": round(len(flagged & truth) / len(flagged), 4) if flagged else None,
            "recall": round(len(flagged & truth) / len(truth), 4),
            "hard_negatives_flagged": len(flagged & negatives),
            "networks_authentic": sum(1 for a in got.values() if a.assessment == AUTHENTIC),
            "weakly_linked_members": weak,
        }
        print("ablation", dropped, out[dropped or "none"], flush=True)
    return out


def hard_negative_report(ws, data: Path, run_id: str) -> dict:
    from flockwatch.core.runs import flagged_member_sql

    truth = json.loads((data / "truth.json").read_text())
    groups = truth.get("hard_negatives", {})
    flagged = {
        acc
        for (acc,) in ws.engine.sql(
            "SELECT m.account_id FROM network_members m JOIN networks n USING (run_id, network_id) "
            "WHERE m.run_id = ? AND " + flagged_member_sql("m", "n"),
            [run_id],
        ).rows()
    }
    member = {
        acc for (acc,) in ws.engine.sql("SELECT account_id FROM network_members WHERE run_id = ?", [run_id]).rows()
    }
    return {
        name: {
            "accounts": len(g["account_ids"]),
            "flagged": len(set(g["account_ids"]) & flagged),
            "in_any_network": len(set(g["account_ids"]) & member),
        }
        for name, g in groups.items()
    }


if __name__ == "__main__":
    main()
