"""Hard negatives in the simulator: genuine communities that act together, with realistic profiles."""

from __future__ import annotations

from collections import defaultdict

from flockwatch.simulate import simulate

from .sim_helpers import Run, tweet_time


def _groups(run: Run) -> dict[str, set[str]]:
    return {k: set(v["account_ids"]) for k, v in run.truth_doc["hard_negatives"].items()}


def test_communities_are_listed_disjoint_and_not_planted(small_run):
    groups = _groups(small_run)
    assert set(groups) == {"fandom", "event_hashtag", "news_syndication", "sports"}
    seen: set[str] = set()
    users = {u["userid"] for u in small_run.users}
    for name, accs in groups.items():
        assert accs and accs <= users, name
        assert not accs & seen and not accs & set(small_run.planted), name
        seen |= accs


def test_fans_retweet_the_star_within_minutes_and_look_like_fans(small_run):
    fans = _groups(small_run)["fandom"]
    rts = [t for t in small_run.tweets if t["userid"] in fans and t["is_retweet"] == "True"]
    by_target = defaultdict(list)
    for t in rts:
        by_target[t["retweet_tweetid"]].append(t)
    star_posts = [p for p in by_target if p in small_run.by_id and len(by_target[p]) >= 3]
    assert star_posts, "the star's posts draw many fan retweets"
    delays = sorted(
        (tweet_time(t) - tweet_time(small_run.by_id[p])).total_seconds() for p in star_posts for t in by_target[p]
    )
    assert delays[len(delays) // 2] <= 600  # median within minutes
    users = {u["userid"]: u for u in small_run.users if u["userid"] in fans}
    # not a simulator quirk away from an operation: some fans are young, some have templated fan handles
    assert any("stan" in u["user_screen_name"] or "fan" in u["user_screen_name"] for u in users.values())
    assert any(u["account_creation_date"] >= "2018" for u in users.values())


def test_outlets_post_one_wire_link_in_the_same_minute(small_run):
    outlets = _groups(small_run)["news_syndication"]
    by_url = defaultdict(list)
    for t in small_run.tweets:
        if t["userid"] in outlets and "wire-service.example" in t["urls"]:
            by_url[t["urls"]].append(tweet_time(t))
    assert by_url and max(len(v) for v in by_url.values()) >= 2
    assert all((max(v) - min(v)).total_seconds() <= 120 for v in by_url.values())


def test_event_hashtag_is_one_afternoon(small_run):
    event = _groups(small_run)["event_hashtag"]
    days = {
        t["tweet_time"][:10] for t in small_run.tweets if t["userid"] in event and "MarchForScience" in t["hashtags"]
    }
    assert len(days) <= 2  # one local afternoon, which may straddle midnight UTC


def test_hard_negatives_can_be_left_out(tmp_path):
    res = simulate(tmp_path, preset="small", seed=3, hard_negatives={"enabled": False})
    assert Run(res).truth_doc["hard_negatives"] == {}
