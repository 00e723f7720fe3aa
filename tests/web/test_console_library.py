"""The library functions behind the console's pages, on the planted workspace: the queue's priority, filters,
search kinds and paging; a network's member and link pages and its sampled graph; account look-ups; one network's
exports; the credential stamp that ends sessions."""

from __future__ import annotations

import csv

import pytest

from flockwatch.accounts import account_actions, account_memberships, account_profiles, actions_by_ids
from flockwatch.errors import ValidationError
from flockwatch.networks.browse import network_edges_page, network_graph, network_members_page
from flockwatch.networks.export import export_network
from flockwatch.networks.queue import QueueQuery, network_queue, network_summary
from flockwatch.store.sessions import credential_stamp
from flockwatch.store.users import add_user, set_role
from flockwatch.workspace import Workspace, ops_store

from .console_data import HOSTILE_TAG


@pytest.fixture(scope="module")
def ws(planted_workspace):
    w = Workspace.open(planted_workspace, read_only=True)
    yield w
    w.close()


def test_queue_priority_filters_and_paging(ws):
    page = network_queue(ws)
    assert page.total == len(page.rows) > 0 and all(r.flagged for r in page.rows)
    keys = [(-r.score, -r.size, r.network_id) for r in page.rows]
    assert keys == sorted(keys)
    everything = network_queue(ws, QueueQuery(flagged_only=False, limit=500))
    assert everything.total >= page.total
    two = network_queue(ws, QueueQuery(flagged_only=False, limit=2, offset=2))
    assert [r.network_id for r in two.rows] == [r.network_id for r in everything.rows[2:4]]
    big = network_queue(ws, QueueQuery(min_size=10))
    assert all(r.size >= 10 for r in big.rows)
    op = next(r.operation_id for r in page.rows if r.operation_id)
    in_op = network_queue(ws, QueueQuery(operation_id=op))
    assert in_op.total and all(r.operation_id == op for r in in_op.rows)
    assert network_summary(ws, page.rows[0].network_id).network_id == page.rows[0].network_id


def test_queue_search_by_account_handle_hashtag_domain(ws):
    first = network_queue(ws).rows[0]
    members, _ = network_members_page(ws, network_queue(ws).run_id, first.network_id, limit=500)
    acc = members[0]
    found = network_queue(ws, QueueQuery(search=acc["account_id"], search_kind="account", flagged_only=False))
    assert first.network_id in [r.network_id for r in found.rows]
    # the planted hostile hashtag is pushed by the operation: found with or without '#', bound not pasted
    tag = network_queue(ws, QueueQuery(search="#" + HOSTILE_TAG, search_kind="hashtag"))
    assert tag.total > 0
    assert network_queue(ws, QueueQuery(search="'; DROP TABLE networks; --")).total == 0
    handle = next((m["screen_name"] for m in members if m["screen_name"] and m["screen_name"].isalnum()), None)
    if handle:
        assert network_queue(
            ws, QueueQuery(search="@" + handle.upper(), search_kind="handle", flagged_only=False)
        ).total
    assert network_queue(ws, QueueQuery(search="no-such-domain.example", search_kind="domain")).total == 0
    with pytest.raises(ValidationError):
        network_queue(ws, QueueQuery(search="x", search_kind="bogus"))


def test_network_pages_graph_sampling_and_exports(ws, tmp_path):
    page = network_queue(ws)
    rid, row = page.run_id, max(page.rows, key=lambda r: r.size)
    members, n = network_members_page(ws, rid, row.network_id, limit=3)
    assert n == row.size and len(members) == min(3, n)
    links, n_links = network_edges_page(ws, rid, row.network_id, limit=5)
    assert [x["weight"] for x in links] == sorted((x["weight"] for x in links), reverse=True)
    g = network_graph(ws, rid, row.network_id, max_nodes=4)
    assert len(g["nodes"]) == 4 and g["sampled"] and g["members"] == n and g["links"] == n_links
    kept = {x["id"] for x in g["nodes"]}
    assert all(e["source"] in kept and e["target"] in kept for e in g["edges"])
    whole = network_graph(ws, rid, row.network_id)
    assert not whole["sampled"] and len(whole["nodes"]) == n
    out = export_network(ws, f"{rid}/{row.network_id}", tmp_path / "m.csv")
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == n and {r["network_id"] for r in rows} == {row.network_id}
    gml = export_network(ws, f"{rid}/{row.network_id}", tmp_path / "g.graphml").read_text()
    assert gml.count("<node ") == n


def test_account_lookups(ws):
    page = network_queue(ws)
    members, _ = network_members_page(ws, page.run_id, page.rows[0].network_id, limit=1)
    acc = members[0]["account_id"]
    assert account_profiles(ws, acc)[0]["account_id"] == acc
    history, total = account_actions(ws, acc, limit=5)
    assert total >= len(history) > 0
    assert [h["acted_at"] for h in history] == sorted((h["acted_at"] for h in history), reverse=True)
    posts = actions_by_ids(ws, [h["action_id"] for h in history] + ["missing"])
    assert set(posts) == {h["action_id"] for h in history}
    assert account_memberships(ws, acc)[0]["network_id"] == page.rows[0].network_id
    assert account_profiles(ws, "nobody") == [] and account_actions(ws, "nobody") == ([], 0)


def test_credential_stamp_changes_with_role(tmp_path):
    (tmp_path / "flockwatch.json").write_text("{}")
    store = ops_store(tmp_path)
    add_user(store, "sam", "analyst", "a-long-password")
    role, stamp = credential_stamp(store, "sam")
    assert role == "analyst"
    set_role(store, "sam", "reviewer")
    assert credential_stamp(store, "sam")[1] != stamp
    assert credential_stamp(store, "nobody") is None
