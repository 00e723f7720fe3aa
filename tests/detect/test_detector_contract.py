"""The contract every registered detector honours (runs for each name in the registry)."""

from __future__ import annotations

import pytest
import sqlglot

from flockwatch.detect import DETECTOR_COLUMNS, DETECTORS, get
from flockwatch.errors import UnknownNameError, ValidationError
from scenario import load, render, standard_events, sync_events

NAMES = sorted(DETECTORS)


def test_registry_has_the_stable_names():
    assert set(NAMES) == {"co_repost", "co_text", "co_near_text", "co_link", "co_domain", "co_hashtag",
                          "co_reply", "co_mention", "fast_repost", "sync_post"}
    with pytest.raises(UnknownNameError):
        get("co_nothing")


@pytest.mark.parametrize("name", NAMES)
def test_identity_and_parameters(name):
    det = DETECTORS[name]
    assert det.name == name
    assert det.description.endswith(".")
    assert det.default_params["window_s"] > 0
    with pytest.raises(ValidationError):
        det.params({"no_such_param": 1})


@pytest.mark.parametrize("name", NAMES)
def test_sql_has_the_contract_columns_on_an_empty_workspace(ws, name):
    res = ws.engine.sql(f"SELECT * FROM ({DETECTORS[name].sql()}) LIMIT 0")
    assert tuple(res.columns) == DETECTOR_COLUMNS
    types = {r[0]: r[1] for r in ws.engine.sql(f"DESCRIBE SELECT * FROM ({DETECTORS[name].sql()})").rows()}
    assert types["acted_at_s"] == "DOUBLE"
    assert types["target"] == "VARCHAR" and types["account_id"] == "VARCHAR"


@pytest.mark.parametrize("name", NAMES)
def test_sql_is_transpilable_without_python_udfs(name):
    sql = DETECTORS[name].sql()
    tree = sqlglot.parse_one(sql, read="duckdb")
    assert tree is not None
    assert sqlglot.transpile(sql, read="duckdb", write="spark")[0]


@pytest.mark.parametrize("name", NAMES)
def test_rows_refer_to_real_actions(ws, name):
    events = sync_events() if name == "sync_post" else standard_events()
    load(ws, render(name, events))
    rows = ws.engine.sql(f"SELECT count(*), count(account_id), count(target), count(action_id), "
                         f"count(acted_at_s), count(unit) FROM ({DETECTORS[name].sql()})").one()
    assert rows[0] > 0 and len(set(rows)) == 1, "no NULLs in contract columns"
    orphans = ws.engine.sql(f"SELECT count(*) FROM ({DETECTORS[name].sql()}) d "
                            "ANTI JOIN actions a ON a.action_id = d.action_id").scalar()
    assert orphans == 0
