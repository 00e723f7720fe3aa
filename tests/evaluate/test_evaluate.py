"""Evaluation metrics and the detect -> networks -> evaluate command line."""

from __future__ import annotations

import csv
import json

import pytest

from flockwatch.cli.app import main
from flockwatch.detect import DEFAULT_DETECTORS
from flockwatch.errors import InputFileError
from flockwatch.evaluate import evaluate, read_truth
from flockwatch.evaluate.metrics import _prf
from flockwatch.evaluate.zipf import generate, load_into
from flockwatch.workspace import Workspace

from fwtest import read_csv


def test_prf_by_hand():
    m = _prf({"a", "b", "c", "x"}, {"a", "b", "c", "d", "e", "f"})
    assert (m["precision"], m["recall"], m["f1"]) == (0.75, 0.5, 0.6)
    assert _prf(set(), {"a"})["precision"] == 0.0


def test_read_truth_errors(tmp_path):
    with pytest.raises(InputFileError):
        read_truth(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,op\n1,x\n")
    with pytest.raises(InputFileError):
        read_truth(bad)


def test_cli_detect_export_evaluate(tmp_path, capsys):
    data = generate(20_000, seed=4)
    wdir = tmp_path / "ws"
    with Workspace.create(wdir) as ws:
        load_into(ws, data)
    truth = tmp_path / "truth.csv"
    with truth.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["account_id", "operation_id", "role"])
        for a, r in zip(
            data.truth.column("account_id").to_pylist(), data.truth.column("role").to_pylist(), strict=False
        ):
            w.writerow([a, "op1", r])
    assert main(["detect", "--workspace", str(wdir), "--json"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["networks_flagged"] >= 1 and len(run["detectors"]) == len(DEFAULT_DETECTORS) == 10
    members = tmp_path / "members.csv"
    assert main(["networks", "export", "--workspace", str(wdir), "--members", str(members)]) == 0
    rows = read_csv(members)
    assert list(rows[0])[:5] == ["network_id", "account_id", "network_score", "account_score", "joined_by"]
    assert list(rows[0])[5:] == ["platform", "assessment"]
    capsys.readouterr()
    assert main(["evaluate", "--workspace", str(wdir), "--truth", str(truth), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["fused"]["precision"] >= 0.97 and result["fused"]["recall"] >= 0.93
    assert result["fused"]["predicted"] == len({r["account_id"] for r in rows})
    assert set(result["per_detector"]) >= {"co_repost", "co_near_text", "sync_post"}
    assert result["network_purity"] == 1.0
    # the truth file has roles: recall per role; every fused member is counted under how it joined
    assert set(result["fused_by_role"]) == {"role=core", "role=amplifier"}
    assert result["fused_by_role"]["role=core"]["recall"] >= 0.93
    assert sum(v["members"] for v in result["fused_by_joined"].values()) == result["fused"]["predicted"]
    assert main(["networks", "list", "--workspace", str(wdir)]) == 0
    assert main(["networks", "show", "N0001", "--workspace", str(wdir)]) == 0
    assert "N0001" in capsys.readouterr().out
    assert main(["networks", "show", "N9999", "--workspace", str(wdir)]) == 2
    assert main(["detect", "--workspace", str(wdir), "--detector", "co_nothing"]) == 2
    assert main(["detect", "--workspace", str(wdir), "--param", "co_text.bogus=1"]) == 2


def test_cli_parity_mode(tmp_path, capsys):
    data = generate(5_000, seed=2, texts=False)
    wdir = tmp_path / "ws"
    with Workspace.create(wdir) as ws:
        load_into(ws, data)
    out = tmp_path / "cnt.csv"
    assert (
        main(
            ["detect", "--workspace", str(wdir), "--parity", "cnt", "--window-s", "60", "--output", str(out), "--json"]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["parity"] == "cnt" and summary["edges"] == len(out.read_text().splitlines()) - 1
    assert summary["self_loops"] > 0
    assert main(["detect", "--workspace", str(wdir), "--parity", "other"]) == 2


def test_evaluate_counts_organic_members_against_precision(ws):
    data = generate(40_000, seed=11)
    load_into(ws, data)
    from flockwatch.detect import detect
    from flockwatch.networks import build_networks

    run = detect(ws, detectors=["co_repost", "co_hashtag"])
    build_networks(ws, run.run_id)
    truth = dict.fromkeys(data.truth.column("account_id").to_pylist(), "op1")
    # pretend two planted accounts are organic: precision must drop by exactly those two
    fake = dict(list(truth.items())[2:])
    full = evaluate(ws, truth)
    assert full["fused"]["true_positives"] > 2
    part = evaluate(ws, fake)
    assert part["fused"]["true_positives"] == full["fused"]["true_positives"] - 2
    assert part["network_purity"] < 1.0


def test_adjusted_rand_index_by_hand():
    from flockwatch.evaluate import adjusted_rand_index

    assert adjusted_rand_index(list("aabb"), list("xxyy")) == 1.0
    assert adjusted_rand_index(list("aabb"), list("xyxy")) < 0
    # the classic worked example: ARI of these two labellings is 0.242424...
    a = [0, 0, 0, 1, 1, 1]
    b = [0, 0, 1, 1, 2, 2]
    assert abs(adjusted_rand_index([str(x) for x in a], [str(x) for x in b]) - 0.2424) < 1e-3


def test_ira_categories_if_present(tmp_path):
    from flockwatch.evaluate import read_categories

    from fwtest import shared_data

    authors = shared_data("ira", "authors.csv")
    labels = read_categories(authors, "author_id", "account_category")
    assert len(labels) == 265 and "RightTroll" in set(labels.values())
