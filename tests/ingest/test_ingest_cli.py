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


def test_cnt_csv_with_its_own_header_names_is_read_by_position_like_cnt(tmp_path, capsys):
    """coordination-network-toolkit skips the header and reads eight columns by position, so its users' files
    carry any header; with --format cnt_csv such a file loads exactly as the same rows under the documented names."""
    good = READER_FIXTURES["cnt_csv"][0]
    header, body = good.read_text().split("\n", 1)
    assert len(header.split(",")) == 8
    renamed = tmp_path / "own_names.csv"
    renamed.write_text("tweet,author,handle,rt_of,reply_to,body,epoch,links\n" + body)
    by_name, by_position = tmp_path / "a", tmp_path / "b"
    assert main(["ingest", str(good), "--workspace", str(by_name), "--json"]) == 0
    [named] = _json(capsys)
    assert main(["ingest", str(renamed), "--format", "cnt_csv", "--workspace", str(by_position), "--json"]) == 0
    [positional] = _json(capsys)
    assert positional["rows_loaded"] == named["rows_loaded"] > 0 and positional["added"] == named["added"]
    assert any("by position" in n for n in positional["notes"]) and not named["notes"]

    from flockwatch.workspace import Workspace

    def rows(ws_dir):
        ws = Workspace.open(ws_dir)
        try:
            return {
                t: ws.engine.sql(f"SELECT * FROM {t} ORDER BY ALL").rows()
                for t in ("accounts", "actions", "action_urls", "action_hashtags", "action_mentions")
            }
        finally:
            ws.close()

    assert rows(by_position) == rows(by_name)
    # without --format the header cannot name the format: the error says which to pass
    assert main(["ingest", str(renamed), "--workspace", str(tmp_path / "c")]) == 2
    assert "cnt_csv" in _flat(capsys.readouterr().err)
