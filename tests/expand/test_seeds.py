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


def test_network_seeds_need_detection_tables(ws, scenario):
    ws.engine.sql("DROP TABLE IF EXISTS network_members")  # a workspace where detection never ran
    with pytest.raises(ValidationError, match="network_members"):
        resolve_seeds(ws, "network:3")
    ws.engine.sql("CREATE TABLE network_members (network_id INTEGER, account_id VARCHAR)")
    ws.engine.sql("INSERT INTO network_members VALUES (3, 's1'), (3, 's3'), (4, 'o1')")
    assert resolve_seeds(ws, "network:3").account_ids == ["s1", "s3"]
    with pytest.raises(ValidationError, match="no members"):
        resolve_seeds(ws, "network:9")


def test_network_seeds_take_the_latest_run(ws, scenario):
    e = ws.engine
    if not e.table_exists("detection_runs"):
        import pytest as _pytest

        _pytest.skip("detection tables not in this build")
    e.sql("DELETE FROM network_members")
    cols = [r[0] for r in e.sql("SELECT column_name FROM information_schema.columns "
                                "WHERE table_name = 'detection_runs'").rows()]
    assert {"run_id", "status", "started_at"} <= set(cols)
    e.sql("INSERT INTO detection_runs (run_id, status, started_at) VALUES "
          "('r1', 'done', TIMESTAMP '2024-01-01'), ('r2', 'done', TIMESTAMP '2024-02-01')")
    e.sql("INSERT INTO network_members (run_id, network_id, account_id) VALUES "
          "('r1', '1', 's1'), ('r2', '1', 's2'), ('r2', '1', 's3')")
    assert resolve_seeds(ws, "network:1").account_ids == ["s2", "s3"]
    assert resolve_seeds(ws, "network:r1/1").account_ids == ["s1"]
