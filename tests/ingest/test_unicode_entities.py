"""Hashtags and mentions in any script arrive in the entity tables, whichever reader the text came through."""

import pytest

from flockwatch.ingest.loader import ingest_paths
from flockwatch.workspace import Workspace

TEXT = "支持 #香港警察 #Россия #الصين ＃全角タグ #HK @Вася_Пупкин 今天"
TAGS = {"香港警察", "россия", "الصين", "全角タグ", "hk"}
MENTIONS = {"Вася_Пупкин"}


def _q(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


FILES = {
    "cnt.csv": "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n"
    f"m1,u1,alice,,,{_q(TEXT)},1600000000,\n",
    "ira.csv": "author_id,content,region,language,publish_date,harvested_date,following,followers,updates,"
    "post_type,retweet\n"
    f"ACC1,{_q(TEXT)},Unknown,Chinese,2016-10-01 12:00:00,2016-10-01 12:00:00,1,2,3,,0\n",
    "io_tweets.csv": "tweetid,userid,user_screen_name,tweet_text,tweet_time,is_retweet,hashtags,user_mentions\n"
    f"1001,111,alice_hk,{_q(TEXT)},2019-08-01 12:34,False,[],[]\n",
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_script_arrives(tmp_path, name):
    path = tmp_path / name
    path.write_text(FILES[name], encoding="utf-8")
    ws = Workspace.memory()
    [summary] = ingest_paths(ws, [path])
    assert summary.rows_loaded == 1, summary
    tags = {r[0] for r in ws.engine.sql("SELECT hashtag FROM action_hashtags").rows()}
    mentions = {r[0] for r in ws.engine.sql("SELECT mentioned_account_id FROM action_mentions").rows()}
    assert tags == TAGS
    assert mentions == MENTIONS


def test_io_archive_lists_win_over_text(tmp_path):
    # where the archive lists the tweet's entities, those are the platform's answer (mentions there are ids)
    path = tmp_path / "io_tweets.csv"
    path.write_text(
        "tweetid,userid,tweet_text,tweet_time,is_retweet,hashtags,user_mentions\n"
        f"1001,111,{_q(TEXT)},2019-08-01 12:34,False,[香港警察],[4242]\n",
        encoding="utf-8",
    )
    ws = Workspace.memory()
    ingest_paths(ws, [path])
    assert ws.engine.sql("SELECT list(hashtag) FROM action_hashtags").scalar() == ["香港警察"]
    assert ws.engine.sql("SELECT list(mentioned_account_id) FROM action_mentions").scalar() == ["4242"]
