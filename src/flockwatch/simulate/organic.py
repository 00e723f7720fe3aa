"""Organic background activity: diurnal posting in several home zones, heavy-tailed activity and popularity,
viral repost cascades, trending-hashtag bursts, replies, quotes, mentions, news links, state-media posting.

Consumes the :class:`Population`, the organic config and one chunk's generator; appends rows to a :class:`Batch`.
Everything is vectorised with numpy: per-action text is an index into pre-built sentence pools.

Why cascades matter: popular posts collect reposts in bursts within minutes of posting, so unrelated organic
accounts co-repost within seconds of each other. Detection must not flag them; this module makes sure it has to try.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flockwatch.simulate import text
from flockwatch.simulate.batch import ORGANIC_CLIENT_P, POST, QUOTE, REPLY, REPOST, Batch
from flockwatch.simulate.config import OrganicConfig
from flockwatch.simulate.population import LANGS, Population

DAY_S = 86400
#: Relative activity per local hour (quiet nights, evening peak).
DIURNAL = np.array(
    [
        0.5,
        0.3,
        0.2,
        0.15,
        0.15,
        0.25,
        0.5,
        0.9,
        1.2,
        1.2,
        1.1,
        1.1,
        1.2,
        1.1,
        1.0,
        1.0,
        1.1,
        1.2,
        1.4,
        1.6,
        1.7,
        1.6,
        1.3,
        0.9,
    ]
)
DIURNAL_CDF = np.cumsum(DIURNAL) / DIURNAL.sum()
MAX_DELAY_S = 2 * DAY_S
STATE_MEDIA_POSTS_PER_DAY = 24
ARTICLES_PER_OUTLET = 400
TICKETS_PER_ACCOUNT = 8


def diurnal_seconds(n: int, rng: np.random.Generator) -> np.ndarray:
    """Seconds after local midnight drawn from the diurnal profile."""
    hour = np.searchsorted(DIURNAL_CDF, rng.random(n), side="right")
    return (hour * 3600 + rng.integers(0, 3600, n)).astype(np.int64)


@dataclass
class TextPools:
    """Pre-built text: sentences per language, hashtag vocabularies with Zipf popularity, news domains."""

    sentences: pa.Array
    sent_off: np.ndarray
    sent_len: np.ndarray
    tag_names: list[list[str]]
    tag_cdf: list[np.ndarray]
    domains: list[list[str]]

    @classmethod
    def build(cls, rng: np.random.Generator, per_lang: int = 3000) -> TextPools:
        pools = [text.sentence_pool(lg, per_lang, rng) for lg in LANGS]
        tags, cdfs = [], []
        for lg in LANGS:
            names = text.HASHTAGS[lg]
            w = 1.0 / np.arange(1, len(names) + 1) ** 1.1
            tags.append(names)
            cdfs.append(np.cumsum(w) / w.sum())
        return cls(
            sentences=pa.array(functools.reduce(operator.iadd, pools, []), pa.string()),
            sent_off=np.array([0, per_lang, 2 * per_lang]),
            sent_len=np.full(3, per_lang),
            tag_names=tags,
            tag_cdf=cdfs,
            domains=[text.NEWS_DOMAINS[lg] for lg in LANGS],
        )

    def sentence_index(self, lang: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.sent_off[lang] + (rng.random(lang.size) * self.sent_len[lang]).astype(np.int64)


class OrganicGenerator:
    """The organic background of one chunk: posts, cascades, scattered reposts, replies, quotes."""

    def __init__(self, pop: Population, cfg: OrganicConfig, pools: TextPools) -> None:
        self.pop = pop
        self.cfg = cfg
        self.pools = pools
        w = pop.activity[: pop.n_organic]
        # Sampling by activity through a ticket table (each account holds tickets in proportion to its activity,
        # stochastically rounded so expectations are kept): one gather per draw instead of a binary search, which
        # matters with millions of accounts. Accounts with no ticket simply never act, as on real platforms.
        share = w * (TICKETS_PER_ACCOUNT * w.size) / w.sum()
        counts = np.floor(share + np.random.default_rng(w.size).random(w.size)).astype(np.int64)
        self.tickets = np.repeat(np.arange(w.size, dtype=np.int32), counts)
        # Popular authors go viral more often: weight by followers^0.7 (sublinear, as observed cascade sizes are).
        self.virality = (pop.followers.astype(float) + 1.0) ** 0.7

    def sample_accounts(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.tickets[rng.integers(0, self.tickets.size, n)].astype(np.int64)

    def generate(
        self,
        batch: Batch,
        day_start_s: int,
        day_index: int,
        n_actions: int,
        rng: np.random.Generator,
        with_state_media: bool,
    ) -> None:
        c = self.cfg
        pop = self.pop
        n_post = max(1, int(n_actions * c.post_frac))
        n_repost = int(n_actions * c.repost_frac)
        n_reply = int(n_actions * c.reply_frac)
        n_quote = max(0, n_actions - n_post - n_repost - n_reply)

        # --- posts
        author = self.sample_accounts(n_post, rng)
        t = day_start_s + diurnal_seconds(n_post, rng) - pop.zone_h[author].astype(np.int64) * 3600
        lang = pop.lang[author]
        sent = self.pools.sentences.take(pa.array(self.pools.sentence_index(lang, rng)))
        # 30% of posts carry a vocabulary hashtag, a fifth of those a second one.
        tag_a = np.full(n_post, -1, np.int64)
        tag_b = np.full(n_post, -1, np.int64)
        has_a = rng.random(n_post) < 0.3
        tag_a[has_a] = self._vocab_tags(lang[has_a], rng)
        has_b = has_a & (rng.random(n_post) < 0.2)
        tag_b[has_b] = self._vocab_tags(lang[has_b], rng)
        tag_b[tag_b == tag_a] = -1
        # Trending topics: a share of the day's posts carry one of a few new tags, all within a few hours.
        trends = text.trend_tags(day_index, c.trends_per_day, rng)
        vocab = functools.reduce(operator.iadd, self.pools.tag_names, [])
        trend_base = len(vocab)
        all_tags = vocab + trends
        is_trend = rng.random(n_post) < c.trend_frac
        k = int(is_trend.sum())
        which = rng.integers(0, len(trends), k)
        tag_a[is_trend] = trend_base + which
        centers = day_start_s + rng.integers(6 * 3600, 20 * 3600, len(trends))
        t[is_trend] = centers[which] + np.abs(rng.normal(0, c.trend_spread_s, k)).astype(np.int64)
        tag_suffix, tag_list = _tag_strings(all_tags, tag_a, tag_b)
        has_url = rng.random(n_post) < 0.12
        url_str, url_list = self._news_urls(lang, has_url, rng)
        body = pc.binary_join_element_wise(sent, tag_suffix, url_str, "")
        mention = np.full(n_post, -1, np.int64)
        mentions = rng.random(n_post) < 0.04
        mention[mentions] = self.sample_accounts(int(mentions.sum()), rng)
        client = rng.choice(len(ORGANIC_CLIENT_P), n_post, p=ORGANIC_CLIENT_P)
        p0 = batch.add(author, t, POST, lang, client, body=body, hashtags=tag_list, urls=url_list, mention=mention)
        post_rows = np.arange(p0, p0 + n_post)
        post_t = t
        if with_state_media:
            self._state_media_posts(batch, day_start_s, rng)

        # --- viral cascades: heavy-tailed sizes, reposts front-loaded within minutes of the post
        n_casc = int(n_repost * c.cascade_frac)
        if n_casc > 0:
            w = self.virality[author]
            u = rng.random(max(1, n_casc // c.cascade_min_size))
            sizes = c.cascade_min_size * (1 - u) ** (-1 / c.cascade_alpha)  # Pareto tail
            sizes = np.minimum(sizes.astype(np.int64), max(c.cascade_min_size, n_casc // 3))
            cut = np.searchsorted(np.cumsum(sizes), n_casc)
            sizes = sizes[: cut + 1]
            sizes[-1] -= max(0, int(sizes.sum()) - n_casc)
            sizes = sizes[sizes > 0]
            viral = rng.choice(n_post, size=min(sizes.size, n_post), replace=False, p=w / w.sum())
            sizes = sizes[: viral.size]
            tgt_local = np.repeat(viral, sizes)
            m = tgt_local.size
            delay = np.minimum(rng.lognormal(np.log(c.cascade_median_delay_s), 1.3, m), MAX_DELAY_S)
            self._reposts(batch, post_rows[tgt_local], post_t[tgt_local] + 5 + delay.astype(np.int64), rng)
        # --- scattered reposts of ordinary posts
        n_other = n_repost - n_casc
        if n_other > 0:
            tgt_local = rng.integers(0, n_post, n_other)
            delay = np.minimum(rng.lognormal(np.log(7200), 1.2, n_other), MAX_DELAY_S).astype(np.int64)
            self._reposts(batch, post_rows[tgt_local], post_t[tgt_local] + 30 + delay, rng)
        # --- replies and quotes: half go to popular posts
        for kind, n in ((REPLY, n_reply), (QUOTE, n_quote)):
            if n <= 0:
                continue
            w = self.virality[author]
            popular = rng.choice(n_post, n, p=w / w.sum())
            tgt_local = np.where(rng.random(n) < 0.5, popular, rng.integers(0, n_post, n))
            who = self.sample_accounts(n, rng)
            lg = pop.lang[who]
            delay = np.minimum(rng.lognormal(np.log(1800), 1.2, n), MAX_DELAY_S).astype(np.int64)
            body = self.pools.sentences.take(pa.array(self.pools.sentence_index(lg, rng)))
            batch.add(
                who,
                post_t[tgt_local] + 20 + delay,
                kind,
                lg,
                rng.choice(len(ORGANIC_CLIENT_P), n, p=ORGANIC_CLIENT_P),
                target=post_rows[tgt_local],
                body=body,
            )

    def _reposts(self, batch: Batch, target_rows: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> None:
        who = self.sample_accounts(target_rows.size, rng)
        batch.add(
            who,
            t,
            REPOST,
            self.pop.lang[who],
            rng.choice(len(ORGANIC_CLIENT_P), who.size, p=ORGANIC_CLIENT_P),
            target=target_rows,
        )

    def _vocab_tags(self, lang: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.zeros(lang.size, np.int64)
        base = 0
        for li, cdf in enumerate(self.pools.tag_cdf):
            sel = lang == li
            out[sel] = base + np.searchsorted(cdf, rng.random(int(sel.sum())), side="right").clip(0, cdf.size - 1)
            base += cdf.size
        return out

    def _news_urls(self, lang: np.ndarray, has_url: np.ndarray, rng: np.random.Generator):
        flat = functools.reduce(operator.iadd, self.pools.domains, [])
        off = np.cumsum([0] + [len(d) for d in self.pools.domains])
        dom = off[lang] + (rng.random(lang.size) * np.diff(off)[lang]).astype(np.int64)
        # A few hundred articles a day per outlet: many people share the same story.
        article = rng.integers(0, ARTICLES_PER_OUTLET, lang.size)
        keys = np.where(has_url, dom * ARTICLES_PER_OUTLET + article, -1)

        def url(key: int) -> str:
            return f"https://www.{flat[key // ARTICLES_PER_OUTLET]}/news/{100_000 + key % ARTICLES_PER_OUTLET}"

        url_str = _by_key(keys, lambda key: "" if key < 0 else f" {url(key)}")
        url_list = _by_key(keys, lambda key: "[]" if key < 0 else f"[{url(key)}]")
        return url_str, url_list

    def _state_media_posts(self, batch: Batch, day_start_s: int, rng: np.random.Generator) -> None:
        """State-media accounts post on a newsroom schedule (07:00-23:00 Beijing), each story with its link."""
        pop = self.pop
        for handle, idx in pop.state_media.items():
            _, domain, _lg, _ = text.STATE_MEDIA[handle]
            n = int(rng.poisson(STATE_MEDIA_POSTS_PER_DAY))
            if n == 0:
                continue
            t = day_start_s + rng.integers(7 * 3600, 23 * 3600, n) - 8 * 3600
            body, urls = [], []
            for _ in range(n):
                u = f"https://www.{domain}/{int(rng.integers(10**7, 10**8))}.htm"
                body.append(f"{text.state_media_sentence(rng)} {u}")
                urls.append(text.list_str([u]))
            batch.add(
                np.full(n, idx),
                t,
                POST,
                np.full(n, pop.lang[idx]),
                np.full(n, 2),
                body=pa.array(body),
                urls=pa.array(urls),
            )


def _by_key(keys: np.ndarray, render) -> pa.Array:
    """Strings for integer ``keys`` rendered once per distinct key (``render(key) -> str``), then gathered.

    Hashtag pairs and news links repeat a lot within a chunk, so formatting the distinct values in Python and
    gathering them with one ``take`` beats string kernels over every row.
    """
    uniq, inverse = np.unique(keys, return_inverse=True)
    return pa.array([render(int(k)) for k in uniq], pa.string()).take(pa.array(inverse.reshape(-1)))


def _tag_strings(all_tags: list[str], a: np.ndarray, b: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """(text suffix ``" #a #b"``, archive list ``[a, b]``) for tag indices (-1 = none)."""
    k = len(all_tags) + 1
    keys = (a + 1) * k + (b + 1)

    def tags(key: int) -> list[str]:
        return [all_tags[i - 1] for i in (key // k, key % k) if i > 0]

    suffix = _by_key(keys, lambda key: "".join(f" #{t}" for t in tags(key)))
    lists = _by_key(keys, lambda key: text.list_str(tags(key)))
    return suffix, lists
