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
