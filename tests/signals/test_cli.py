import json

import numpy as np

from flockwatch.cli.app import main
from flockwatch.workspace import Workspace

from .helpers import actions_for, insert, office_timeline
from fwtest import read_csv


def _ws(tmp_path):
    rng = np.random.default_rng(2)
    with Workspace.create(tmp_path / "ws") as ws:
        insert(
            ws,
            "accounts",
            [
                {
                    "platform": "t",
                    "account_id": a,
                    "screen_name": f"{a}12345678",
                    "description": "the same long description",
                }
                for a in ("a", "b")
            ],
        )
        insert(
            ws,
            "actions",
            actions_for("a", office_timeline(rng, 200, 3))
            + [{**r, "action_id": "b" + r["action_id"]} for r in actions_for("b", office_timeline(rng, 200, 3))],
        )
    return tmp_path / "ws"


def test_signals_command_writes_csv(tmp_path):
    ws = _ws(tmp_path)
    out = tmp_path / "signals.csv"
    assert main(["signals", "--workspace", str(ws), "--output", str(out)]) == 0
    rows = read_csv(out)
    assert {r["signal"] for r in rows} >= {"profile_reuse", "working_hours", "automation_cadence"}
    assert set(rows[0]) == {"platform", "account_id", "signal", "value", "evidence"}
    json.loads(rows[0]["evidence"])


def test_working_hours_command(tmp_path, capsys):
    ws = _ws(tmp_path)
    accounts = tmp_path / "a.txt"
    accounts.write_text("a\n")
    assert main(["working-hours", "--workspace", str(ws), "--accounts", str(accounts), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["utc_offset_h"] == 3 and data["n_slots"] > 100
    assert main(["working-hours", "--workspace", str(ws), "--per-account", "--json"]) == 0
    per = json.loads(capsys.readouterr().out)
    assert {d["account_id"] for d in per} == {"a", "b"}


def test_unknown_family_exit_code(tmp_path):
    assert main(["signals", "--workspace", str(_ws(tmp_path)), "--family", "astrology"]) == 2
