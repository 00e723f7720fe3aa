"""The CLI verb and the round trip through the ingest readers."""

from __future__ import annotations

import json

from flockwatch.cli.app import main


def test_simulate_help(capsys):
    assert main(["simulate", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--preset" in out and "Example:" in out


def test_simulate_writes_files(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "--preset", "small", "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "logins.csv",
            "truth.csv",
            "truth.json",
            "sim_062019_1_users_csv_unhashed.csv",
            "sim_062019_1_tweets_csv_unhashed.csv",
        ]
    )
    assert report["counts"]["actions"] > 10_000


def test_simulate_unknown_preset_is_a_user_error(tmp_path):
    assert main(["simulate", "--preset", "nope", "--out", str(tmp_path)]) == 2


def test_ingest_roundtrip(ws, small_run):
    from flockwatch.ingest import ingest_paths, registry

    assert {"twitter_io_archive", "login_events"} <= set(registry.names())
    res = small_run.result
    summaries = ingest_paths(ws, [res.users_file, *res.tweets_files, res.logins_file])
    assert all(s.rows_quarantined == 0 for s in summaries)
    tables = ws.info()["tables"]
    assert tables["actions"] == len(small_run.tweets)
    assert tables["accounts"] == len(small_run.users)
    assert tables["infrastructure"] == len(small_run.logins)
