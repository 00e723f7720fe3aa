"""`flockwatch ingest` / `flockwatch info` at the command line: exit codes and JSON output."""

from __future__ import annotations

import json

from flockwatch.cli.app import main

from .helpers import READER_FIXTURES


def _flat(text: str) -> str:
    """Rich wraps long lines to the terminal width; compare with whitespace runs collapsed."""
    return " ".join(text.split())


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_ingest_with_quarantined_rows_exits_0_and_info_reports_them(tmp_path, capsys):
    src = READER_FIXTURES["twitter_io_archive"][0]
    dirty = tmp_path / "x_tweets.csv"
    dirty.write_bytes(src.read_bytes() + b"junk line\n")
    ws = tmp_path / "ws"
    assert main(["ingest", str(dirty), "--workspace", str(ws), "--json"]) == 0
    [summary] = _json(capsys)
    assert (summary["rows_loaded"], summary["rows_quarantined"]) == (4, 1)
    assert main(["info", "--workspace", str(ws), "--json"]) == 0
    info = _json(capsys)
    assert info["tables"]["actions"] == 4 and info["tables"]["quarantine"] == 1
    [q] = info["quarantine"]
    assert q["rows"] == 1 and q["source_file"] == str(dirty) and "missing columns" in q["reason"]
    assert info["ingests"][0]["format"] == "twitter_io_archive"


def test_ingest_table_output_names_quarantine_reasons(tmp_path, capsys):
    src = READER_FIXTURES["login_events"][0]
    dirty = tmp_path / "logins.csv"
    dirty.write_bytes(src.read_bytes() + b"u9,not-a-time,1.2.3.0/24,1,CN,true\n")
    assert main(["ingest", str(dirty), "--workspace", str(tmp_path / "ws")]) == 0
    out = _flat(capsys.readouterr().out)
    assert "login_time: cannot parse 'not-a-time' as a time" in out


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["ingest", str(tmp_path / "nope.csv"), "--workspace", str(tmp_path / "ws")]) == 2
    assert "no such file" in _flat(capsys.readouterr().err)


def test_unknown_format_exits_2_and_loads_nothing(tmp_path, capsys):
    odd = tmp_path / "odd.csv"
    odd.write_text("foo,bar\n1,2\n")
    good = READER_FIXTURES["cnt_csv"][0]
    assert main(["ingest", str(good), str(odd), "--workspace", str(tmp_path / "ws")]) == 2
    assert "format not recognised" in _flat(capsys.readouterr().err)
    assert main(["info", "--workspace", str(tmp_path / "ws"), "--json"]) == 0
    assert _json(capsys)["tables"]["actions"] == 0  # checked before anything loads


def test_unreadable_file_exits_2(tmp_path, capsys):
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00 this is not gzip data")
    assert main(["ingest", str(broken), "--workspace", str(tmp_path / "ws")]) == 2
    assert "cannot read" in _flat(capsys.readouterr().err)


def test_forced_format_with_wrong_columns_exits_2(tmp_path, capsys):
    src = READER_FIXTURES["login_events"][0]
    assert main(["ingest", str(src), "--format", "coortweet_share_log", "--workspace", str(tmp_path / "ws")]) == 2
    assert "missing required column" in _flat(capsys.readouterr().err)
