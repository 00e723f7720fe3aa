"""``flockwatch detect --engine``: the choice is checked before anything runs; Spark-only options need Spark."""

from __future__ import annotations

import pytest

from flockwatch.cli.app import main
from flockwatch.detect.distributed import detect_on_spark
from flockwatch.errors import ValidationError
from flockwatch.workspace import Workspace


def test_unknown_engine_and_spark_options_without_spark_are_user_errors(tmp_path, capsys):
    Workspace.create(tmp_path / "ws").close()
    ws = str(tmp_path / "ws")
    assert main(["detect", "--workspace", ws, "--engine", "polars"]) == 2
    assert "polars" in capsys.readouterr().err
    assert main(["detect", "--workspace", ws, "--master", "local[2]"]) == 2
    assert "--engine spark" in capsys.readouterr().err


def test_spark_on_an_in_memory_workspace_needs_parquet():
    ws = Workspace.memory()
    try:
        with pytest.raises(ValidationError, match="--parquet"):
            detect_on_spark(ws, session=object())
    finally:
        ws.close()


def test_local_mode_driver_heap_is_sized_for_the_machine(monkeypatch):
    from flockwatch.engine.spark_engine import DRIVER_MEMORY_ENV, local_driver_memory

    monkeypatch.delenv(DRIVER_MEMORY_ENV, raising=False)
    got = local_driver_memory()
    assert got.endswith("m") and 1024 <= int(got[:-1]) <= 8192  # never Spark's 1 GiB default on a real machine
    monkeypatch.setenv(DRIVER_MEMORY_ENV, "3g")
    assert local_driver_memory() == "3g"


def test_a_cluster_without_a_checkpoint_directory_is_warned_local_mode_is_not():
    """Local checkpoints live on the executor that made them: harmless in local mode (the driver is the executor),
    a lost run on a cluster whose executors come and go; a checkpoint directory makes them reliable."""
    from flockwatch.detect.distributed import checkpoint_warning

    assert checkpoint_warning("local[2]", None) is None
    assert checkpoint_warning("local[*]", "") is None
    for master in ("spark://host:7077", "yarn", "k8s://https://api:6443", None):
        warning = checkpoint_warning(master, None)
        assert warning is not None and "spark.checkpoint.dir" in warning, master
        assert checkpoint_warning(master, "hdfs:///checkpoints/flockwatch") is None


def test_without_a_master_outside_spark_submit_the_session_is_local_with_local_settings(monkeypatch):
    """`flockwatch detect --engine spark` without --master, run from a shell, is local mode: it gets the local-mode
    heap and shuffle width (PySpark's bare defaults, a 1 GiB heap, lost task results of an 850k-row evidence
    table on a 150k-action simulation). Under spark-submit the master and settings stay spark-submit's."""
    from flockwatch.engine.spark_engine import SPARK_SUBMIT_GATEWAY_ENV, resolve_master, session_settings

    monkeypatch.delenv(SPARK_SUBMIT_GATEWAY_ENV, raising=False)
    assert resolve_master(None) == "local[*]"
    assert resolve_master("yarn") == "yarn"
    local = session_settings(resolve_master(None))
    assert int(local["spark.driver.memory"][:-1]) >= 1024
    assert int(local["spark.sql.shuffle.partitions"]) >= 4
    assert session_settings("local[2]")["spark.sql.shuffle.partitions"] == "8"

    monkeypatch.setenv(SPARK_SUBMIT_GATEWAY_ENV, "41234")
    assert resolve_master(None) is None
    for cluster in (None, "yarn", "spark://host:7077"):
        settings = session_settings(resolve_master(cluster))
        assert "spark.driver.memory" not in settings and "spark.sql.shuffle.partitions" not in settings
        assert settings["spark.sql.session.timeZone"] == "UTC"
