"""Helpers for the simulator tests: run the small preset and read its files back with the csv module."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from flockwatch.simulate import simulate


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


class Run:
    """The files of one simulation, parsed."""

    def __init__(self, result) -> None:
        self.result = result
        self.out = result.out_dir
        self.truth_doc = json.loads(result.truth_json.read_text(encoding="utf-8"))
        self.users_header, self.users = read_csv(result.users_file)
        self.tweets_header, self.tweets = [], []
        for p in result.tweets_files:
            header, rows = read_csv(p)
            self.tweets_header = header
            self.tweets.extend(rows)
        self.logins_header, self.logins = read_csv(result.logins_file)
        self.truth_header, self.truth = read_csv(result.truth_csv)
        self.planted = {r["account_id"]: r for r in self.truth}
        self.core = {a for a, r in self.planted.items() if r["role"] == "core"}
        self.by_id = {t["tweetid"]: t for t in self.tweets}

    @property
    def op(self) -> dict:
        return self.truth_doc["operations"][0]

    def op_tweets(self) -> list[dict[str, str]]:
        return [t for t in self.tweets if t["userid"] in self.planted]

    def organic_tweets(self) -> list[dict[str, str]]:
        return [t for t in self.tweets if t["userid"] not in self.planted]


def tweet_time(row: dict[str, str]) -> dt.datetime:
    return dt.datetime.strptime(row["tweet_time"], "%Y-%m-%d %H:%M")


def run_small(out: Path, **kw) -> Run:
    return Run(simulate(out, preset="small", **kw))
