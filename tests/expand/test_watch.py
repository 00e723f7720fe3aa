import datetime as dt
import json

import pytest

from flockwatch.errors import ValidationError
from flockwatch.expand.watch import DirectoryFeed, Watcher, batch_from_records, iter_jsonl_batches, read_batch_file

from expand_scenario import T0, at


def _fresh_reposts(account: str, n: int, delay_min: float = 1.0) -> list[dict]:
    # reposts of the seeds' existing posts, shortly after them (as a new amplifier would do on a live platform)
    out = []
    for k in range(n):
        si = k % 4
        out.append(
            {
                "action_id": f"{account}_r{k}",
                "account_id": account,
                "kind": "repost",
                "acted_at": at(si * 7 + k * 97 + delay_min).isoformat(),
                "target_action_id": f"s{si + 1}_p{k}",
                "target_account_id": f"s{si + 1}",
                "text": "RT",
            }
        )
    return out


def _organic_new(account: str, n: int) -> list[dict]:
    return [
        {
            "action_id": f"{account}_p{k}",
            "account_id": account,
            "kind": "post",
            "acted_at": at(30 + 50 * k).isoformat(),
            "text": f"hello world number {k} from me",
            "hashtags": ["news"],
        }
        for k in range(n)
    ]


def _watcher(ws, scenario, **kw):
    return Watcher(ws, scenario["seeds"], expand_first=False, record_trajectories=True, **kw)


def test_fresh_amplifier_is_flagged_within_its_first_actions(ws, scenario):
    w = _watcher(ws, scenario)
    b = batch_from_records(_fresh_reposts("newamp", 6) + _organic_new("newbie", 6))
    flags = w.process(b.actions, b.hashtags, b.urls, b.mentions)
    by = {f.account_id: f for f in flags}
    assert "newamp" in by and "newbie" not in by
    f = by["newamp"]
    assert f.actions_seen <= 5
    assert f.evidence["amplification"]["actions"] == f.actions_seen
    assert f.evidence["co_action_examples"] and f.evidence["co_action_examples"][0]["seed"].startswith("s")


def test_one_action_per_batch_flags_at_the_same_point(ws, scenario):
    w1 = _watcher(ws, scenario)
    recs = _fresh_reposts("newamp", 6)
    b = batch_from_records(recs)
    flag_all = w1.process(b.actions, b.hashtags, b.urls, b.mentions)
    w1.close()
    w2 = _watcher(ws, scenario)
    flag_one = []
    for r in recs:
        b = batch_from_records([r])
        flag_one += w2.process(b.actions, b.hashtags, b.urls, b.mentions)
    assert [f.account_id for f in flag_one] == [f.account_id for f in flag_all] == ["newamp"]
    assert flag_one[0].actions_seen == flag_all[0].actions_seen
    assert abs(flag_one[0].nats - flag_all[0].nats) < 1e-6
    # state is per account, and an account is flagged once
    b = batch_from_records(_fresh_reposts("newamp", 8)[6:])
    assert w2.process(b.actions, b.hashtags, b.urls, b.mentions) == []


def test_new_anchor_posts_grow_the_index(ws, scenario):
    w = _watcher(ws, scenario)
    t = T0 + dt.timedelta(days=2)
    recs = [
        {
            "action_id": f"s1_new{k}",
            "account_id": "s1",
            "kind": "post",
            "acted_at": (t + dt.timedelta(hours=k)).isoformat(),
            "text": f"a brand new narrative number {k} about the riots",
        }
        for k in range(5)
    ]
    recs += [
        {
            "action_id": f"late_r{k}",
            "account_id": "late",
            "kind": "repost",
            "acted_at": (t + dt.timedelta(hours=k, seconds=40)).isoformat(),
            "target_action_id": f"s1_new{k}",
            "target_account_id": "s1",
        }
        for k in range(5)
    ]
    b = batch_from_records(recs)
    w.process(b.actions, b.hashtags, b.urls, b.mentions)
    traj = w.trajectory_table().to_pylist()
    assert [r["account_id"] for r in traj] == ["late"] * 5  # anchors are never scored
    co = w.e.sql(f"SELECT co_hits FROM {w.s.state} WHERE account_id = 'late'").scalar()
    assert co == 5  # each repost matched the anchor post published 40 s before, in the same batch


def test_threshold_from_min_nats_controls_flagging(ws, scenario):
    w = _watcher(ws, scenario)
    w.min_nats = 1e9
    b = batch_from_records(_fresh_reposts("newamp", 6))
    assert w.process(b.actions, b.hashtags, b.urls, b.mentions) == []
    nats = [r["nats"] for r in w.trajectory_table().to_pylist()]
    assert nats == sorted(nats) and nats[-1] > nats[0]  # evidence grows with every amplifying action


def test_twarc2_pages_and_canonical_lines(tmp_path):
    page = {
        "data": [
            {
                "id": "10",
                "author_id": "u1",
                "created_at": "2019-08-12T03:00:00.000Z",
                "text": "RT @a: hi",
                "referenced_tweets": [{"type": "retweeted", "id": "9"}],
                "entities": {"hashtags": [{"tag": "HK"}], "mentions": [{"username": "a", "id": "5"}]},
            },
            {
                "id": "11",
                "author_id": "u2",
                "created_at": "2019-08-12T03:01:00.000Z",
                "text": "hello",
                "in_reply_to_user_id": "5",
                "referenced_tweets": [{"type": "replied_to", "id": "9"}],
            },
        ],
        "includes": {"tweets": [{"id": "9", "author_id": "5"}]},
    }
    line = {
        "action_id": "12",
        "account_id": "u3",
        "kind": "post",
        "acted_at": 1565578800,
        "text": "x",
        "hashtags": ["#News"],
        "urls": ["https://e.com/a"],
    }
    b = batch_from_records([page, line])
    rows = b.actions.to_pylist()
    assert [(r["action_id"], r["kind"], r["target_action_id"], r["target_account_id"]) for r in rows] == [
        ("10", "repost", "9", "5"),
        ("11", "reply", "9", "5"),
        ("12", "post", None, None),
    ]
    assert rows[2]["acted_at"] == dt.datetime(2019, 8, 12, 3, 0)
    assert sorted(b.hashtags.column("hashtag").to_pylist()) == ["hk", "news"]
    assert b.mentions.column("mentioned_account_id").to_pylist() == ["5"]
    with pytest.raises(ValidationError):
        batch_from_records([{"action_id": "1"}])
    p = tmp_path / "a.jsonl"
    p.write_text(json.dumps(line) + "\n")
    assert read_batch_file(p).actions.num_rows == 1
    assert sum(b.actions.num_rows for b in iter_jsonl_batches([json.dumps(line)] * 5, batch_lines=2)) == 5


def test_directory_feed_remembers_processed_files(tmp_path):
    (tmp_path / "001.jsonl").write_text("")
    (tmp_path / "notes.txt").write_text("")
    feed = DirectoryFeed(tmp_path)
    first = feed.new_files()
    assert [p.name for p in first] == ["001.jsonl"]
    feed.mark(first[0])
    (tmp_path / "002.csv").write_text("action_id,account_id,acted_at\n")
    assert [p.name for p in feed.new_files()] == ["002.csv"]


def test_stream_logins_add_infrastructure_evidence(ws, scenario):
    from expand_scenario import insert_infra

    insert_infra(
        ws,
        [(s, "45.76.1.0/24", 20473, "US", True) for s in scenario["seeds"]]
        + [(f"o{i}", f"81.{i}.0.0/16", 2856, "GB", False) for i in range(60)],
    )
    recs = _fresh_reposts("newamp", 1)
    plain = _watcher(ws, scenario)
    b = batch_from_records(recs)
    plain.process(b.actions, b.hashtags, b.urls, b.mentions)
    base = plain.trajectory_table().column("nats").to_pylist()[-1]
    plain.close()
    w = _watcher(ws, scenario)
    b = batch_from_records([{"account_id": "newamp", "ip_prefix": "45.76.1.0/24", "asn": 20473}] + recs)
    assert b.logins.num_rows == 1 and b.actions.num_rows == 1
    w.process(b.actions, b.hashtags, b.urls, b.mentions, b.logins)
    with_login = w.trajectory_table().column("nats").to_pylist()[-1]
    assert with_login > base + 2.0  # a prefix only the seeds use is strong evidence


def test_anchor_posts_in_the_same_second_give_one_representative(ws, scenario):
    # two seeds post the same new text in the same second; a newcomer copies it a minute later: its example names
    # one of the two posts with that post's own author (the smaller action id of the tied ones), on every run
    t = T0 + dt.timedelta(days=3)
    text = "the same brand new talking point about the riots, word for word"
    seeds_posts = [
        {"action_id": aid, "account_id": acc, "kind": "post", "acted_at": t.isoformat(), "text": text}
        for aid, acc in (("z_s1_copy", "s1"), ("a_s2_copy", "s2"))
    ]
    copies = [
        {
            "action_id": f"copy{k}",
            "account_id": "copier",
            "kind": "post",
            "acted_at": (t + dt.timedelta(seconds=60 + k)).isoformat(),
            "text": text,
        }
        for k in range(3)
    ]
    seen = set()
    for _ in range(3):
        w = _watcher(ws, scenario)
        for recs in (seeds_posts, copies):
            b = batch_from_records(recs)
            w.process(b.actions, b.hashtags, b.urls, b.mentions)
        rows = w.e.sql(f"SELECT examples FROM {w.s.state} WHERE account_id = 'copier'").scalar()
        w.close()
        seen.update((x.split("~")[1], x.split("~")[2]) for x in rows if x.split("~")[3] == "tx")
    assert seen == {("a_s2_copy", "s2")}
