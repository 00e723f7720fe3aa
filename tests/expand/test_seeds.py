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
    s = resolve_seeds(ws, ["s1", "s2", "ghost"])
    assert s.account_ids == ["s1", "s2"]
    assert s.unknown == ["ghost"]


def test_no_known_seed_is_an_error(ws, scenario):
    with pytest.raises(ValidationError, match="none of the"):
        resolve_seeds(ws, ["ghost"])


def _runs(e, *runs):
    """A workspace's detection runs (run_id, status, started_at), with no members yet."""
    e.sql("DELETE FROM network_members")
    e.sql("DELETE FROM detection_runs")
    for rid, status, started in runs:
        e.sql("INSERT INTO detection_runs (run_id, status, started_at) VALUES (?, ?, ?)", [rid, status, started])


def test_network_seeds_need_a_finished_run(ws, scenario):
    _runs(ws.engine)  # a workspace where detection never ran
    with pytest.raises(ValidationError, match="flockwatch detect"):
        resolve_seeds(ws, "network:N0003")


def test_network_seeds_take_the_latest_finished_run(ws, scenario):
    e = ws.engine
    _runs(e, ("r1", "done", "2024-01-01"), ("r2", "done", "2024-02-01"), ("r3", "running", "2024-03-01"))
    e.sql(
        "INSERT INTO network_members (run_id, network_id, account_id) VALUES "
        "('r1', 'N0001', 's1'), ('r2', 'N0001', 's2'), ('r2', 'N0001', 's3'), ('r1', 'N0002', 's1'), "
        "('r3', 'N0001', 'o1')"
    )
    assert resolve_seeds(ws, "network:N0001").account_ids == ["s2", "s3"]  # r3 has not finished
    assert resolve_seeds(ws, "network:r1/N0001").account_ids == ["s1"]
    # ids are renumbered by every run: an id only an older run has is an error naming the run to use
    with pytest.raises(ValidationError, match="<run_id>/N0002"):
        resolve_seeds(ws, "network:N0002")
    with pytest.raises(ValidationError, match="no detection run 'r9'"):
        resolve_seeds(ws, "network:r9/N0001")
