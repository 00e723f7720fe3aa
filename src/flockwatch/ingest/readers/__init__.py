"""Built-in readers, one module each; importing this package registers them in detection order.

Order matters: the first reader whose ``sniff`` accepts a header wins, so the most specific layouts come first and
``canonical`` (any file whose header is a canonical table's columns) comes last.
"""

from flockwatch.ingest.readers import (
    canonical,
    cnt_csv,
    coortweet_share_log,
    ira_csv,
    login_events,
    platform_assets,
    twarc2_jsonl,
    twitter_io_archive,
)
from flockwatch.ingest.registry import register

register(twitter_io_archive.READER)
register(twarc2_jsonl.READER)
register(login_events.READER)
register(platform_assets.READER)
register(coortweet_share_log.READER)
register(cnt_csv.READER)
register(ira_csv.READER)
register(canonical.READER)
