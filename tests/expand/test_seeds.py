import datetime as dt

import pytest

from flockwatch.errors import InputFileError, ValidationError
from flockwatch.expand.seeds import read_seed_file, resolve_seeds


def test_seed_file_ignores_blank_and_comment_lines(tmp_path):
    p = tmp_path / "seeds.txt"
    p.write_text("\ufeff# core accounts\ns1\n\n  s2  \ns1\n")
    assert read_seed_file(p) == ["s1", "s2"]  # repeats are dropped, order kept


def test_missing_seed_file_is_a_user_error(tmp_path):
    with pytest.raises(InputFileError):
        read_seed_file(tmp_path / "nope.txt")


def test_unknown_seeds_are_reported_not_dropped_silently(ws, scenario):
    s = resolve_seeds(ws.engine, ["s1", "s2", "ghost"])
    assert s.account_ids == ["s1", "s2"]
    assert s.unknown == ["ghost"]


def test_no_known_seed_is_an_error(ws, scenario):
    with pytest.raises(ValidationError, match="none of the"):
        resolve_seeds(ws.engine, ["ghost"])


def test_network_seeds_need_detection_tables(ws, scenario):
    ws.engine.sql("DROP TABLE IF EXISTS network_members")  # an engine that never had the detection schema
    with pytest.raises(ValidationError, match="network_members"):
        resolve_seeds(ws.engine, "network:3")


def test_network_seeds_before_any_detection_run(ws, scenario):
    with pytest.raises(ValidationError, match="no members"):
        resolve_seeds(ws.engine, "network:3")


def _runs(e, runs, members):
    e.sql("DELETE FROM network_members")
    e.sql("DELETE FROM detection_runs")
    for run_id, status, started_at in runs:
        e.sql("INSERT INTO detection_runs (run_id, status, started_at) VALUES (?, ?, ?)", [run_id, status, started_at])
    for run_id, network_id, account_id in members:
        e.sql("INSERT INTO network_members (run_id, network_id, account_id) VALUES (?, ?, ?)",
              [run_id, network_id, account_id])


def test_network_seeds_from_one_run(ws, scenario):
    _runs(ws.engine, [("r1", "done", dt.datetime(2024, 1, 1))], [("r1", "3", "s1"), ("r1", "3", "s3"), ("r1", "4", "o1")])
    assert resolve_seeds(ws.engine, "network:3").account_ids == ["s1", "s3"]
    with pytest.raises(ValidationError, match="no members"):
        resolve_seeds(ws.engine, "network:9")


def test_network_seeds_take_the_latest_finished_run(ws, scenario):
    e = ws.engine
    _runs(e, [("r1", "done", dt.datetime(2024, 1, 1)), ("r2", "done", dt.datetime(2024, 2, 1)),
              ("r3", "failed", dt.datetime(2024, 3, 1))],
          [("r1", "1", "s1"), ("r2", "1", "s2"), ("r2", "1", "s3"), ("r3", "1", "s4")])
    assert resolve_seeds(e, "network:1").account_ids == ["s2", "s3"]
    assert resolve_seeds(e, "network:r1/1").account_ids == ["s1"]
    assert resolve_seeds(e, "network:r3/1").account_ids == ["s4"]
