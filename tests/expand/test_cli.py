import json

from flockwatch.cli.app import main
from flockwatch.workspace import Workspace

from expand_scenario import at, build_scenario
from fwtest import read_csv


def _workspace(tmp_path):
    path = tmp_path / "ws"
    ws = Workspace.create(path)
    sc = build_scenario(ws)
    ws.close()
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("\n".join(sc["seeds"]) + "\n")
    return path, seeds


def test_expand_writes_the_ranked_csv(tmp_path, capsys):
    path, seeds = _workspace(tmp_path)
    out = tmp_path / "x.csv"
    assert (
        main(
            [
                "expand",
                "--workspace",
                str(path),
                "--seeds",
                str(seeds),
                "--output",
                str(out),
                "--window-s",
                "600",
                "--json",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["seeds"] == 4 and summary["top"][0]["account_id"] == "amp"
    rows = read_csv(out)
    assert rows[0]["account_id"] == "amp" and json.loads(rows[0]["evidence"])["amplification"]["actions"] == 8


def test_expand_with_unknown_seeds_only_exits_2(tmp_path, capsys):
    path, _ = _workspace(tmp_path)
    bad = tmp_path / "bad.txt"
    bad.write_text("nobody\n")
    assert main(["expand", "--workspace", str(path), "--seeds", str(bad), "--output", str(tmp_path / "x.csv")]) == 2
    assert "none of the" in capsys.readouterr().err


def test_watch_directory_once(tmp_path, capsys):
    path, seeds = _workspace(tmp_path)
    inbox = tmp_path / "in"
    inbox.mkdir()
    lines = [
        {
            "action_id": f"n_r{k}",
            "account_id": "newamp",
            "kind": "repost",
            "acted_at": at((k % 4) * 7 + k * 97 + 1).isoformat(),
            "target_action_id": f"s{k % 4 + 1}_p{k}",
            "target_account_id": f"s{k % 4 + 1}",
        }
        for k in range(6)
    ]
    (inbox / "001.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    flags = tmp_path / "flags.jsonl"
    assert (
        main(
            [
                "watch",
                "--workspace",
                str(path),
                "--seeds",
                str(seeds),
                "--dir",
                str(inbox),
                "--once",
                "--no-expand",
                "--output",
                str(flags),
            ]
        )
        == 0
    )
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert [f["account_id"] for f in out] == ["newamp"]
    assert json.loads(flags.read_text().splitlines()[0])["account_id"] == "newamp"


def test_watch_needs_exactly_one_source(tmp_path):
    path, seeds = _workspace(tmp_path)
    assert main(["watch", "--workspace", str(path), "--seeds", str(seeds)]) == 2


def test_watch_stdin(tmp_path, capsys, monkeypatch):
    import io

    path, seeds = _workspace(tmp_path)
    lines = [
        {
            "action_id": f"n_r{k}",
            "account_id": "newamp",
            "kind": "repost",
            "acted_at": at((k % 4) * 7 + k * 97 + 1).isoformat(),
            "target_action_id": f"s{k % 4 + 1}_p{k}",
            "target_account_id": f"s{k % 4 + 1}",
        }
        for k in range(6)
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(json.dumps(x) for x in lines) + "\n"))
    assert (
        main(["watch", "--workspace", str(path), "--seeds", str(seeds), "--stdin", "--no-expand", "--batch-lines", "2"])
        == 0
    )
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert [f["account_id"] for f in out] == ["newamp"] and out[0]["actions_seen"] <= 5
