"""Hard negatives: genuine communities that really do act together, so that detection has to tell them apart.

Consumes the :class:`Population` (before the users file is written), the :class:`HardNegatives` config and a seeded
generator; :func:`plant` picks organic accounts for each community and gives them the profiles such communities
have; :class:`HardNegativeGenerator` appends their day's actions to a :class:`Batch`. Ground truth lists every
community's accounts in ``truth.json`` (``hard_negatives``); they are *not* in ``truth.csv``: flagging any of them is
a false positive.

Communities (the false positives the issue measured on held-out platforms):

* ``fandom`` — a fan community retweeting its star within minutes of each post (median ``fandom_delay_s``), using
  the fandom's hashtag. Fan accounts are real but look the part: a share are young (created weeks to 18 months
  before the period), a share use templated fan handles (``jiminstan1234``), many have few followers.
* ``event_hashtag`` — one afternoon, thousands of ordinary accounts post one event hashtag and retweet its top posts.
* ``news_syndication`` — news outlets post the same wire story (same link, same headline) in the same minute, from
  a scheduling client, every day.
* ``sports`` — live commentary during matches: fans post the match hashtag in bursts at goals and reply to the club's
  posts within minutes.

Why the profiles matter: if hard negatives differed from operations by a simulator quirk (all old accounts, one
name shape), an inauthenticity assessment could pass by reading the quirk. Young accounts, templated names and few
followers appear among them too, at rates real communities show; what they lack is the *combination* of bulk
creation, shared login infrastructure, location claims that logins contradict, and names cut from one template.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flockwatch.simulate import text
from flockwatch.simulate.batch import ORGANIC_CLIENT_P, POST, REPLY, REPOST, Batch
from flockwatch.simulate.config import HardNegatives, SimulationConfig
from flockwatch.simulate.organic import TextPools, diurnal_seconds
from flockwatch.simulate.population import DAY_S, Population, _unique_ids, epoch_s

FAN_STEMS = ("jiminstan", "armyforever", "onlyjk", "bangtanlove", "kookiefan", "purpleyou", "tae_ot7", "hobistan")
NEWS_NAMES = ("Daily", "Herald", "Courier", "Post", "Tribune", "Gazette", "Chronicle", "Times", "Observer", "Record")
NEWS_PLACES = ("Harbour", "Valley", "Northern", "Capital", "Lakeside", "Coastal", "Metro", "County", "River", "Bay")
WIRE_DOMAIN = "wire-service.example"
TWEETDECK_CLIENT = 4


@dataclass
class Communities:
    """Population indices of each hard-negative community and of the accounts they orbit."""

    fans: np.ndarray
    star: int
    event: np.ndarray
    event_day: int
    outlets: np.ndarray
    sports_fans: np.ndarray
    club: int
    match_days: np.ndarray
    tags: dict[str, str] = field(default_factory=dict)

    def groups(self) -> dict[str, np.ndarray]:
        return {
            "fandom": self.fans,
            "event_hashtag": self.event,
            "news_syndication": self.outlets,
            "sports": self.sports_fans,
        }


def plant(cfg: SimulationConfig, pop: Population, rng: np.random.Generator) -> Communities | None:
    """Pick organic accounts for each community and shape their profiles; ``None`` when disabled."""
    hn = cfg.hard_negatives
    if not hn.enabled:
        return None
    start_s = epoch_s(cfg.start_date)
    taken = np.zeros(pop.n, bool)
    taken[list(pop.state_media.values())] = True
    for m in pop.ops:
        taken[m.targets] = True
        taken[m.core_start : m.end] = True
    organic = np.flatnonzero(~taken[: pop.n_organic] & (pop.activity[: pop.n_organic] > 0))
    n_org = organic.size

    def draw(k: int, pool: np.ndarray) -> np.ndarray:
        free = pool[~taken[pool]]
        out = np.sort(rng.choice(free, size=min(k, free.size), replace=False))
        taken[out] = True
        return out

    def scaled(k: int, cap_frac: float) -> int:
        return max(5, min(k, int(n_org * cap_frac)))

    # the star and the club: prominent organic accounts
    by_fame = organic[np.argsort(-pop.followers[organic], kind="stable")]
    star = int(draw(1, by_fame[:50])[0])
    club = int(draw(1, by_fame[:50])[0])
    pop.followers[star] = max(int(pop.followers[star]), 2_000_000)
    pop.followers[club] = max(int(pop.followers[club]), 800_000)
    pop.activity[star] = 0.0  # posts on the fandom's schedule
    pop.activity[club] = 0.0

    fans = draw(scaled(hn.fandom_accounts, 0.02), organic)
    event_zone = organic[pop.zone_h[organic] == -5]
    event = draw(scaled(hn.event_accounts, 0.08), event_zone if event_zone.size > 100 else organic)
    # small platforms get small communities: together they stay a few percent of all actions
    outlets = draw(min(hn.news_outlets, max(3, n_org // 200)), organic)
    sports_pool = organic[pop.zone_h[organic] == 0]
    sports_fans = draw(scaled(hn.sports_accounts, 0.02), sports_pool if sports_pool.size > 100 else organic)

    # Fans: some young accounts, some templated fan handles, many with few followers (real fandoms look so).
    young = fans[rng.random(fans.size) < hn.fandom_young_frac]
    pop.created_s[young] = start_s - rng.integers(14 * DAY_S, 540 * DAY_S, young.size)
    templ = fans[rng.random(fans.size) < hn.fandom_templated_frac]
    stems = np.array(FAN_STEMS, dtype=object)[rng.integers(0, len(FAN_STEMS), templ.size)]
    digits = rng.integers(10, 10_000, templ.size)
    _set_strings(pop, "screen_name", templ, [f"{s}{d}" for s, d in zip(stems, digits, strict=True)])
    low = fans[rng.random(fans.size) < 0.4]
    pop.followers[low] = rng.integers(0, 40, low.size)
    # Event participants: ordinary people, a few who joined recently.
    recent = event[rng.random(event.size) < 0.05]
    pop.created_s[recent] = start_s - rng.integers(3 * DAY_S, 120 * DAY_S, recent.size)
    # Outlets: old, followed, named like newspapers, posting from a scheduling client.
    pop.created_s[outlets] = epoch_s(dt.date(2009, 6, 1)) + rng.integers(0, 3 * 365 * DAY_S, outlets.size)
    pop.followers[outlets] = rng.integers(20_000, 2_000_000, outlets.size)
    names = [
        f"{NEWS_PLACES[i % len(NEWS_PLACES)]} {NEWS_NAMES[(i // len(NEWS_PLACES)) % len(NEWS_NAMES)]}"
        for i in range(outlets.size)
    ]
    _set_strings(pop, "display_name", outlets, names)
    _set_strings(pop, "screen_name", outlets, [n.replace(" ", "").lower() + str(i) for i, n in enumerate(names)])
    _set_strings(pop, "description", outlets, ["News, sport and weather for the region. Since 1887."] * outlets.size)
    changed = np.concatenate([young, recent, outlets])
    if changed.size:
        # snowflake ids encode the creation time: redraw them for accounts whose creation date moved
        pop.userid = _unique_ids(pop.created_s, np.random.default_rng(int(rng.integers(0, 2**31))))
        pop.finish()

    days = cfg.days
    match_days = np.sort(rng.choice(np.arange(1, days - 1), size=min(hn.sports_matches, days - 2), replace=False))
    return Communities(
        fans=fans,
        star=star,
        event=event,
        event_day=min(days - 2, max(1, days // 3)),
        outlets=outlets,
        sports_fans=sports_fans,
        club=club,
        match_days=match_days,
        tags={"fandom": "BTSARMY", "event": "MarchForScience", "sports": "HARvLEE"},
    )


def _set_strings(pop: Population, attr: str, idx: np.ndarray, values: list[str]) -> None:
    if idx.size == 0:
        return
    col = np.array(getattr(pop, attr).to_pylist(), dtype=object)
    col[idx] = values
    setattr(pop, attr, pa.array(col.tolist(), pa.string()))


class HardNegativeGenerator:
    """One day's actions of the hard-negative communities (see the module docstring)."""

    def __init__(self, cfg: HardNegatives, pop: Population, com: Communities, pools: TextPools) -> None:
        self.cfg = cfg
        self.pop = pop
        self.com = com
        self.pools = pools

    def expected_actions(self, days: int) -> int:
        """About how many actions the communities add over ``days`` (the organic budget is reduced by it, so that a
        run keeps its target action count)."""
        c, com = self.cfg, self.com
        participation = (c.fandom_participation_min_frac + c.fandom_participation_max_frac) / 2
        fandom = c.fandom_star_posts_per_day * (1 + com.fans.size * participation * 1.15) * days
        event = com.event.size * 2.3
        syndication = c.wire_stories_per_day * com.outlets.size * c.syndication_share_frac * days
        active = 0.6 * com.sports_fans.size
        sports = com.match_days.size * (10 + active * 4.5 + active * 0.4)
        return int(fandom + event + syndication + sports)

    def generate(self, batch: Batch, day_start_s: int, day_index: int, rng: np.random.Generator) -> None:
        self._fandom(batch, day_start_s, rng)
        if day_index == self.com.event_day:
            self._event(batch, day_start_s, rng)
        self._syndication(batch, day_start_s, day_index, rng)
        if day_index in set(self.com.match_days.tolist()):
            self._match(batch, day_start_s, rng)

    def _sentences(self, who: np.ndarray, rng: np.random.Generator, suffix: str = "") -> pa.Array:
        s = self.pools.sentences.take(pa.array(self.pools.sentence_index(self.pop.lang[who], rng)))
        return pc.binary_join_element_wise(s, pa.scalar(suffix), "") if suffix else s

    def _fandom(self, batch: Batch, day_start_s: int, rng: np.random.Generator) -> None:
        c, com, pop = self.cfg, self.com, self.pop
        n_posts = int(rng.poisson(c.fandom_star_posts_per_day))
        if n_posts == 0 or com.fans.size == 0:
            return
        tag = com.tags["fandom"]
        star = np.full(n_posts, com.star)
        t = day_start_s + diurnal_seconds(n_posts, rng) - int(pop.zone_h[com.star]) * 3600
        first = batch.add(
            star,
            t,
            POST,
            pop.lang[star],
            np.zeros(n_posts, np.int64),
            body=self._sentences(star, rng, f" #{tag}"),
            hashtags=pa.array([text.list_str([tag])] * n_posts),
        )
        for i in range(n_posts):
            share = rng.uniform(c.fandom_participation_min_frac, c.fandom_participation_max_frac)
            who = com.fans[rng.random(com.fans.size) < share]
            delay = np.minimum(rng.lognormal(np.log(c.fandom_delay_s), 1.0, who.size), 6 * 3600).astype(np.int64)
            batch.add(
                who,
                t[i] + 3 + delay,
                REPOST,
                pop.lang[who],
                rng.choice(len(ORGANIC_CLIENT_P), who.size, p=ORGANIC_CLIENT_P),
                target=np.full(who.size, first + i),
            )
            # some fans also post about it with the fandom tag
            talks = rng.random(who.size) < 0.15
            talk = who[talks]
            batch.add(
                talk,
                t[i] + 60 + 2 * delay[talks],
                POST,
                pop.lang[talk],
                rng.choice(len(ORGANIC_CLIENT_P), talk.size, p=ORGANIC_CLIENT_P),
                body=self._sentences(talk, rng, f" #{tag}"),
                hashtags=pa.array([text.list_str([tag])] * talk.size, pa.string()),
            )

    def _event(self, batch: Batch, day_start_s: int, rng: np.random.Generator) -> None:
        com, pop = self.com, self.pop
        who = np.repeat(com.event, rng.integers(1, 4, com.event.size))
        tag = com.tags["event"]
        # one afternoon, local time (14:00-19:00 in each participant's zone)
        t = day_start_s + rng.integers(14 * 3600, 19 * 3600, who.size) - pop.zone_h[who].astype(np.int64) * 3600
        first = batch.add(
            who,
            t,
            POST,
            pop.lang[who],
            rng.choice(len(ORGANIC_CLIENT_P), who.size, p=ORGANIC_CLIENT_P),
            body=self._sentences(who, rng, f" #{tag}"),
            hashtags=pa.array([text.list_str([tag])] * who.size, pa.string()),
        )
        top = rng.choice(who.size, size=min(20, who.size), replace=False)
        rt = com.event[rng.random(com.event.size) < 0.3]
        pick = top[rng.integers(0, top.size, rt.size)]
        delay = np.minimum(rng.lognormal(np.log(900), 1.2, rt.size), 5 * 3600).astype(np.int64)
        batch.add(
            rt,
            t[pick] + 10 + delay,
            REPOST,
            pop.lang[rt],
            rng.choice(len(ORGANIC_CLIENT_P), rt.size, p=ORGANIC_CLIENT_P),
            target=first + pick,
        )

    def _syndication(self, batch: Batch, day_start_s: int, day_index: int, rng: np.random.Generator) -> None:
        c, com = self.cfg, self.com
        n_stories = int(rng.poisson(c.wire_stories_per_day))
        for s in range(n_stories):
            who = com.outlets[rng.random(com.outlets.size) < c.syndication_share_frac]
            if who.size == 0:
                continue
            t0 = day_start_s + int(rng.integers(6 * 3600, 22 * 3600))
            url = f"https://{WIRE_DOMAIN}/article/{day_index:03d}{s:02d}{int(rng.integers(10**5, 10**6))}"
            headline = self.pools.sentences[int(self.pools.sentence_index(np.zeros(1, np.int8), rng)[0])].as_py()
            batch.add(
                who,
                t0 + rng.integers(0, 60, who.size),
                POST,
                np.zeros(who.size, np.int8),
                np.full(who.size, TWEETDECK_CLIENT),
                body=pa.array([f"{headline} {url}"] * who.size, pa.string()),
                urls=pa.array([text.list_str([url])] * who.size, pa.string()),
            )

    def _match(self, batch: Batch, day_start_s: int, rng: np.random.Generator) -> None:
        com, pop = self.com, self.pop
        tag = com.tags["sports"]
        kickoff = day_start_s + 15 * 3600 - int(pop.zone_h[com.club]) * 3600
        n_club = 10
        ct = kickoff + np.sort(rng.integers(0, 2 * 3600, n_club))
        club = np.full(n_club, com.club)
        first = batch.add(
            club,
            ct,
            POST,
            pop.lang[club],
            np.full(n_club, TWEETDECK_CLIENT),
            body=self._sentences(club, rng, f" #{tag}"),
            hashtags=pa.array([text.list_str([tag])] * n_club, pa.string()),
        )
        active = com.sports_fans[rng.random(com.sports_fans.size) < 0.6]
        who = np.repeat(active, rng.integers(2, 7, active.size))
        # half the posts land within a minute or two of a club post (a goal, a red card), the rest spread out
        at_moment = rng.random(who.size) < 0.5
        moment = ct[rng.integers(0, n_club, who.size)]
        t = np.where(
            at_moment, moment + rng.integers(5, 150, who.size), kickoff + rng.integers(-1800, 2 * 3600 + 1800, who.size)
        )
        batch.add(
            who,
            t,
            POST,
            pop.lang[who],
            rng.choice(len(ORGANIC_CLIENT_P), who.size, p=ORGANIC_CLIENT_P),
            body=self._sentences(who, rng, f" #{tag}"),
            hashtags=pa.array([text.list_str([tag])] * who.size, pa.string()),
        )
        rep = active[rng.random(active.size) < 0.4]
        k = rng.integers(0, n_club, rep.size)
        batch.add(
            rep,
            ct[k] + rng.integers(20, 600, rep.size),
            REPLY,
            pop.lang[rep],
            rng.choice(len(ORGANIC_CLIENT_P), rep.size, p=ORGANIC_CLIENT_P),
            target=first + k,
            body=self._sentences(rep, rng),
        )


def truth_entry(pop: Population, com: Communities | None) -> dict[str, dict[str, object]]:
    """``truth.json``'s ``hard_negatives``: each community's account ids and what it does."""
    if com is None:
        return {}
    what = {
        "fandom": f"fans retweeting their star within minutes (#{com.tags['fandom']})",
        "event_hashtag": f"ordinary accounts at one event hashtag on one afternoon (#{com.tags['event']})",
        "news_syndication": "news outlets posting the same wire link in the same minute",
        "sports": f"live match commentary (#{com.tags['sports']})",
    }
    assert pop.userid_str is not None
    return {
        name: {"description": what[name], "account_ids": pop.userid_str.take(pa.array(idx)).to_pylist()}
        for name, idx in com.groups().items()
    }
