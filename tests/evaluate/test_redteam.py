"""Red team: transforms change the simulated operation, trials run the real pipeline, the report has the curves."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flockwatch.cli.app import app
from flockwatch.errors import UnknownNameError, ValidationError
from flockwatch.evaluate.redteam import TRANSFORMS, run_redteam
from flockwatch.simulate import build_config


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_every_transform_builds_a_valid_configuration_that_differs(name):
    base = build_config("small", seed=1)
    op = base.operations[0]
    for level in (1, 2, 3):
        cfg = build_config("small", seed=1, **TRANSFORMS[name][1](level, op))
        assert cfg.to_dict() != base.to_dict(), (name, level)


def test_unknown_transform_and_level_are_user_errors():
    with pytest.raises(UnknownNameError):
        run_redteam("small", transforms=["teleport"])
    with pytest.raises(ValidationError):
        run_redteam("small", transforms=["timing_jitter"], levels=[7])


@pytest.mark.slow
def test_cli_writes_json_and_html_with_a_curve(tmp_path):
    out = tmp_path / "rt"
    res = CliRunner().invoke(
        app,
        [
            "redteam",
            "--preset",
            "small",
            "--out",
            str(out),
            "--transform",
            "fewer_shared_ips",
            "--level",
            "0",
            "--level",
            "3",
            "--seed",
            "1",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "redteam.json").read_text())
    trials = {(t["transform"], t["level"]): t for t in doc["trials"]}
    assert set(trials) == {("none", 0), ("fewer_shared_ips", 3)}
    # the unchanged operation is found; every figure is a measured share
    assert trials[("none", 0)]["recall"] >= 0.9
    # genuine communities acting together (fandom, event hashtag, syndication, sports) are never flagged
    assert all(t["hard_negatives_flagged"] == 0 for t in trials.values())
    assert all(0 <= t["recall"] <= t["recall_coordinated"] <= 1 for t in trials.values())
    assert [x for x, _ in doc["curves"]["fewer_shared_ips"]["recall"]] == [0.0, 3.0]
    html = (out / "redteam.html").read_text()
    assert "<svg" in html and "fewer_shared_ips" in html and "polyline" in html
