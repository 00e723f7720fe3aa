"""Inauthenticity assessment: bulk-made accounts behind VPNs are inauthentic, genuine communities authentic, missing
profiles insufficient; verdicts carry evidence rows and survive the removal of any single family."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from flockwatch import schema
from flockwatch.errors import UnknownNameError
from flockwatch.networks.assessment import (
    AUTHENTIC,
    FAMILIES,
    INAUTHENTIC,
    INSUFFICIENT,
    assess_groups,
    collect,
)

START = dt.datetime(2019, 6, 1)


def insert(ws, name: str, rows: list[dict]) -> None:
    cols = schema.CANONICAL_TABLES[name].column_names
    ws.engine.insert_arrow(name, pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows]))


def _platform(ws, rng, n_background=400, n_fans=40, n_op=40):
    """A background of ordinary accounts, a genuine fan group (some young, some templated names) and an operation
    (created in two days, templated handles, few followers, VPN logins, claiming Hong Kong)."""
    accounts, actions, logins = [], [], []

    def ordinary(aid, created, name, followers, location="London"):
        accounts.append(
            {
                "platform": "t",
                "account_id": aid,
                "screen_name": name,
                "created_at": created,
                "follower_count": followers,
                "following_count": int(rng.integers(50, 500)),
                "reported_location": location,
            }
        )
        for k in range(int(rng.integers(1, 4))):
            logins.append(
                {
                    "platform": "t",
                    "account_id": aid,
                    "seen_at": START + dt.timedelta(days=int(rng.integers(0, 30))),
                    "ip_prefix": f"81.{int(rng.integers(0, 250))}.{int(rng.integers(0, 250))}.0/24",
                    "asn": 2856,
                    "country": "GB",
                    "via_vpn": k == 0 and rng.random() < 0.02,
                }
            )

    for i in range(n_background):
        created = START - dt.timedelta(days=int(rng.integers(30, 3000)))
        ordinary(f"bg{i}", created, f"person{i}", int(rng.lognormal(5, 1.5)))
    for i in range(n_fans):
        young = rng.random() < 0.25
        created = START - dt.timedelta(days=int(rng.integers(15, 200) if young else rng.integers(200, 3000)))
        name = f"jiminstan{int(rng.integers(10, 9999))}" if rng.random() < 0.3 else f"fan{i}"
        ordinary(f"fan{i}", created, name, int(rng.integers(0, 40)) if rng.random() < 0.4 else 300)
    for i in range(n_op):
        accounts.append(
            {
                "platform": "t",
                "account_id": f"op{i}",
                "screen_name": f"wan{int(rng.integers(10_000_000, 99_999_999))}",
                "created_at": dt.datetime(2019, 6, 3 + i % 2, 10, i % 60),
                "follower_count": int(rng.integers(0, 6)),
                "following_count": int(rng.integers(50, 300)),
                "reported_location": "Hong Kong",
            }
        )
        for k in range(3):
            logins.append(
                {
                    "platform": "t",
                    "account_id": f"op{i}",
                    "seen_at": START + dt.timedelta(days=5 + k),
                    "ip_prefix": f"45.32.{k}.0/24",
                    "asn": 20473,
                    "country": "US",
                    "via_vpn": True,
                }
            )
    for a in accounts:
        actions.append(
            {
                "platform": "t",
                "action_id": f"x{a['account_id']}",
                "account_id": a["account_id"],
                "kind": "post",
                "acted_at": max(START, a["created_at"]) + dt.timedelta(hours=2),
            }
        )
    insert(ws, "accounts", accounts)
    insert(ws, "actions", actions)
    insert(ws, "infrastructure", logins)
    return [f"fan{i}" for i in range(n_fans)], [f"op{i}" for i in range(n_op)]


@pytest.fixture
def platform(ws):
    fans, op = _platform(ws, np.random.default_rng(3))
    return ws, fans, op


def test_operation_inauthentic_fandom_authentic_with_evidence(platform):
    ws, fans, op = platform
    got = assess_groups(ws, {"op": op, "fans": fans}, {"op": 0.9, "fans": 0.95}, background_exclude=op + fans)
    a, f = got["op"], got["fans"]
    assert a.assessment == INAUTHENTIC and f.assessment == AUTHENTIC
    assert {r["family"] for r in a.rows} == set(FAMILIES)
    assert {"creation_burst", "infrastructure", "location_login", "follower_anomaly"} <= set(a.supporting())
    assert len(f.supporting()) <= 1 and "genuine" in f.reason
    # every member carries a verdict; operation members their own indicators
    assert set(a.member_assessment) == set(op) and set(a.member_assessment.values()) == {INAUTHENTIC}
    assert "infrastructure" in a.member_indicators["op0"]
    # the queue: an inauthentic network outranks an authentic one whatever its coordination score
    assert a.priority > f.priority == 0.0 and 0 < a.inauthenticity <= 1


@pytest.mark.parametrize("family", list(FAMILIES))
def test_no_single_family_carries_the_verdict(platform, family):
    ws, fans, op = platform
    ev = collect(ws)
    got = assess_groups(
        ws, {"op": op, "fans": fans}, {}, evidence=ev, background_exclude=op + fans, drop_families=[family]
    )
    assert got["op"].assessment == INAUTHENTIC
    assert got["fans"].assessment == AUTHENTIC
    assert family not in {r["family"] for r in got["op"].rows}


def test_missing_profiles_are_insufficient_never_authentic(ws):
    # a share log: actions only, no profiles, no logins
    insert(
        ws,
        "actions",
        [
            {"platform": "t", "action_id": f"a{i}", "account_id": f"u{i % 20}", "kind": "post", "acted_at": START}
            for i in range(60)
        ],
    )
    got = assess_groups(ws, {"n": [f"u{i}" for i in range(10)]}, {"n": 0.8})
    assert got["n"].assessment == INSUFFICIENT
    assert got["n"].inauthenticity == 0.5 and "missing data never counts as authentic" in got["n"].reason


def test_unknown_family_is_refused(platform):
    ws, fans, _op = platform
    with pytest.raises(UnknownNameError):
        assess_groups(ws, {"f": fans}, {}, drop_families=["horoscope"])


@pytest.mark.slow
def test_simulated_fandom_and_syndication_are_listed_not_flagged(tmp_path):
    """The whole pipeline on the small preset: genuine communities that act together are coordinated, listed with
    their verdict and never flagged or exported; the planted operation is flagged as inauthentic."""
    import csv
    import json
    import re

    from typer.testing import CliRunner

    from flockwatch.cli.app import app
    from flockwatch.detect import detect
    from flockwatch.ingest import ingest_paths
    from flockwatch.networks import build_networks
    from flockwatch.simulate import simulate
    from flockwatch.workspace import Workspace

    sim = simulate(tmp_path / "data", preset="small", seed=3)
    with Workspace.open(tmp_path / "ws", create=True) as ws:
        ingest_paths(ws, [*sorted((tmp_path / "data").glob("*_csv_*.csv")), sim.logins_file])
        nets = build_networks(ws, detect(ws).run_id)
    negatives = {a for g in json.loads(sim.truth_json.read_text())["hard_negatives"].values() for a in g["account_ids"]}
    with sim.truth_csv.open() as fh:
        planted = {r["account_id"] for r in csv.DictReader(fh)}
    authentic = [n for n in nets if n.assessment == AUTHENTIC]
    assert authentic and all(n.coordinated and not n.flagged for n in authentic)
    assert any(set(n.members) & negatives for n in authentic)
    flagged = [n for n in nets if n.flagged]
    assert flagged and all(n.assessment == INAUTHENTIC for n in flagged)
    assert not {m for n in flagged for m in n.members} & negatives
    assert len({m for n in flagged for m in n.members} & planted) >= 0.9 * len(planted)
    # queue order: flagged first, by priority
    assert [n.priority for n in flagged] == sorted((n.priority for n in flagged), reverse=True)
    runner = CliRunner()
    w = ["--workspace", str(tmp_path / "ws")]
    listed = runner.invoke(app, ["networks", "list", *w, "--json"])
    assert listed.exit_code == 0, listed.output
    rows_listed = {r["network_id"]: r for r in json.loads(listed.output)}
    assert {n.network_id for n in authentic} <= set(rows_listed)
    assert all(not rows_listed[n.network_id]["flagged"] for n in authentic)
    assert all(rows_listed[n.network_id]["assessment_detail"]["reason"] for n in authentic)
    shown = runner.invoke(app, ["networks", "show", authentic[0].network_id, *w])
    assert shown.exit_code == 0 and re.search(r"inauthenticity\s+assessment", shown.output)
    out = tmp_path / "members.csv"
    assert runner.invoke(app, ["networks", "export", *w, "--members", str(out)]).exit_code == 0
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {r["assessment"] for r in rows} == {INAUTHENTIC} and not {r["account_id"] for r in rows} & negatives


def test_history_discontinuity_supports_a_renamed_operation(platform):
    ws, fans, op = platform
    # most operation members were seen under an earlier handle (bought accounts renamed to fit the persona); two fans
    # renamed themselves too, as people do
    ws.engine.sql(
        "INSERT INTO account_handles (platform, account_id, screen_name) SELECT platform, account_id, screen_name "
        "FROM accounts WHERE screen_name IS NOT NULL"
    )
    for aid in op[:30] + fans[:2]:
        ws.engine.sql(
            "INSERT INTO account_handles (platform, account_id, screen_name) VALUES ('t', ?, ?)", [aid, f"old_{aid}"]
        )
    got = assess_groups(ws, {"op": op, "fans": fans}, {}, background_exclude=op + fans)
    row = {r["family"]: r for r in got["op"].rows}["history_discontinuity"]
    assert row["supports"] and row["members_showing"] >= 30
    assert "history_discontinuity" not in got["fans"].supporting()
    assert "history_discontinuity" in got["op"].member_indicators["op0"]
    # with the family removed the verdict stands on the others (no single family carries it)
    assert (
        assess_groups(ws, {"op": op}, {}, background_exclude=op + fans, drop_families=["history_discontinuity"])[
            "op"
        ].assessment
        == INAUTHENTIC
    )


def test_sampled_background_reads_members_and_a_stable_sample(platform):
    """On a platform larger than the sample, collect() reads the members plus a hash-chosen sample of the
    background: every member's indicators are kept, the sample is the same on every call, and the verdicts match
    the census."""
    ws, fans, op = platform
    full = collect(ws)
    sampled = collect(ws, members=op + fans, background_sample=200)
    again = collect(ws, members=op + fans, background_sample=200)
    assert full.background_accounts == full.platform_accounts and not full.sampled
    assert sampled.sampled and sampled.platform_accounts == full.platform_accounts
    # a share of the hash space: near the requested size, not exact
    assert 120 <= sampled.background_accounts <= 300
    assert sampled.has_data == again.has_data and sampled.shows == again.shows
    for fam, accounts in full.has_data.items():
        assert set(op + fans) & accounts <= sampled.has_data.get(fam, set())
    for fam, accounts in full.shows.items():
        assert set(op + fans) & accounts == set(op + fans) & sampled.shows.get(fam, set())
        # members show the same, the background only within the sample
        assert sampled.shows.get(fam, set()) <= accounts
    got = assess_groups(ws, {"op": op, "fans": fans}, {}, evidence=sampled, background_exclude=op + fans)
    assert got["op"].assessment == INAUTHENTIC and got["fans"].assessment == AUTHENTIC
    # no members: the census, whatever the platform's size
    assert not collect(ws, background_sample=200).sampled


_SHAPE_PICK = """
from flockwatch.networks.assessment import AccountEvidence, assess_groups
members = [f"m{i}" for i in range(12)]
background = [f"b{i}" for i in range(40)]
# two shapes, six members each, equally rare in the background: the same lift, a tie to break
shape = {m: ("L6D4" if i % 2 else "L8D2") for i, m in enumerate(members)}
shape.update({b: ("L5" if i < 38 else ("L6D4" if i == 38 else "L8D2")) for i, b in enumerate(background)})
ev = AccountEvidence(
    has_data={"name_template": set(members) | set(background)}, shows={}, shape=shape, created_known=set(),
    followers={}, background_accounts=52, platform_accounts=52,
)
out = assess_groups(None, {"N1": members}, {"N1": 1.0}, evidence=ev, background_exclude=members)
print(next(r["shape"] for r in out["N1"].rows if r["family"] == "name_template"))
"""


def test_the_name_shape_picked_on_a_tie_does_not_depend_on_string_hashing():
    """Two runs of the same data must describe a network alike: the members' most over-represented name shape was
    picked in the order a set of account ids gave, which changes with the process's string hashing."""
    picked = {
        subprocess.run(
            [sys.executable, "-c", _SHAPE_PICK],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in range(6)
    }
    assert picked == {"L6D4"}
