"""Planted operations: core members post, amplifiers act in bursts, one generator per tactic.

Consumes the :class:`Population` (with the operation's member block), the :class:`OperationConfig` and one chunk's
generator; appends rows to the day's :class:`Batch` after the organic rows (so swarms can reply to the day's
posts of target accounts and amplify the day's state-media posts). Tracks per member how many actions it took and
which tactics it took part in (``truth.py`` writes them).

Realism that keeps detection honest: each burst involves a random 5-30% of the members active that day (never
everyone), fresh amplifiers are active only for a few days after their creation, and burst rates are scaled so
the operation stays a small share of all actions.

To add a tactic: add its config in ``config.py`` and a ``_tactic_<name>`` method here, called from ``generate``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flockwatch.simulate import text
from flockwatch.simulate.batch import OP_CLIENT_P, POST, REPLY, REPOST, Batch
from flockwatch.simulate.config import TACTIC_NAMES, BurstTactic, OperationConfig, SimulationConfig
from flockwatch.simulate.organic import diurnal_seconds
from flockwatch.simulate.population import DAY_S, LANG_INDEX, LANGS, OpMembers, Population, epoch_s

TACTIC_CODE = {name: i for i, name in enumerate(TACTIC_NAMES)}
CORE_POST_CODE = len(TACTIC_NAMES)  # original core content: not a tactic of its own
BURST_TACTICS = (
    "co_repost",
    "copy_paste",
    "hashtag_flood",
    "link_push",
    "reply_swarm",
    "mention_swarm",
    "amplify_state_media",
)


def is_weekday(local_day_start_s: int) -> bool:
    return (local_day_start_s // DAY_S + 3) % 7 < 5


def op_days(cfg: SimulationConfig, op: OperationConfig, since: str | None = None) -> int:
    first = dt.date.fromisoformat(since or op.start)
    n = 0
    d = first
    while d < cfg.end_date:
        if not op.tactics.office_hours.enabled or d.weekday() < 5:
            n += 1
        d += dt.timedelta(days=1)
    return n


def expected_actions(cfg: SimulationConfig, op: OperationConfig) -> tuple[float, float]:
    """(expected operation actions at full rate, rate scale keeping the op under its share of all actions)."""
    days = op_days(cfg, op)
    n_fresh = round(op.n_amplifiers * op.fresh_frac)
    n_vet = op.n_members - n_fresh
    fresh_days = max(1, op_days(cfg, op, op.first_suspension))
    weekday_share = 5 / 7 if op.tactics.office_hours.enabled else 1.0
    fresh_active = n_fresh * min(1.0, op.fresh_active_days * weekday_share / fresh_days) * fresh_days / max(1, days)
    active = n_vet + fresh_active
    per_day = op.n_core * op.core_posts_per_day
    for name in BURST_TACTICS:
        t: BurstTactic = getattr(op.tactics, name)
        if t.enabled:
            mean_frac = (t.participation_min_frac + t.participation_max_frac) / 2
            per_day += t.bursts_per_day * (mean_frac * active + (1 if name == "co_repost" else 0))
    full = days * per_day
    budget = max(0.0, op.max_share_of_actions_frac * cfg.n_actions - n_fresh)
    scale = min(1.0, budget / full) if full > 0 else 0.0
    return full * scale + n_fresh, scale


class OperationGenerator:
    """One operation's daily activity; ``actions`` and ``tactic_mask`` tally per member for the ground truth."""

    def __init__(self, cfg: SimulationConfig, pop: Population, members: OpMembers, rng: np.random.Generator):
        self.cfg = cfg
        self.op = members.config
        self.pop = pop
        self.m = members
        n = members.end - members.core_start
        self.actions = np.zeros(n, np.int64)
        self.tactic_mask = np.zeros(n, np.int64)
        self.expected, self.scale = expected_actions(cfg, self.op)
        self.start_s = epoch_s(dt.date.fromisoformat(self.op.start))
        self.pools = {lg: [text.op_sentence(lg, rng) for _ in range(400)] for lg in self.op.languages}
        oh = self.op.tactics.office_hours
        minutes = np.arange(24 * 60) / 60.0
        rate = ((minutes >= oh.start_h) & (minutes < oh.end_h)).astype(float)
        rate[(minutes >= oh.lunch_start_h) & (minutes < oh.lunch_end_h)] *= oh.lunch_rate_frac
        self.minute_rate = rate

    # ---- scheduling
    def _times(self, local_mid_s: int, n: int, guard_s: float, rng: np.random.Generator) -> np.ndarray:
        """Start instants for ``n`` events on the op's local day, ending ``guard_s`` before closing time."""
        if self.op.tactics.office_hours.enabled:
            rate = self.minute_rate.copy()
            close_min = int(self.op.tactics.office_hours.end_h * 60 - np.ceil(guard_s / 60.0))
            rate[max(close_min, int(self.op.tactics.office_hours.start_h * 60) + 1) :] = 0.0
            cdf = np.cumsum(rate) / rate.sum()
            minute = np.searchsorted(cdf, rng.random(n), side="right")
            return local_mid_s + minute * 60 + rng.integers(0, 60, n)
        return local_mid_s + diurnal_seconds(n, rng)

    def _delays(self, n: int, spread_s: float, rng: np.random.Generator) -> np.ndarray:
        return (5 + np.minimum(rng.exponential(spread_s, n), 4 * spread_s)).astype(np.int64)

    def _record(self, who: np.ndarray, code: int) -> None:
        local = who - self.m.core_start
        np.add.at(self.actions, local, 1)
        if code < CORE_POST_CODE:
            np.bitwise_or.at(self.tactic_mask, local, 1 << code)

    def _sentences(self, who: np.ndarray, rng: np.random.Generator) -> tuple[pa.Array, np.ndarray]:
        lang = self.pop.lang[who]
        langs = [lg for lg in LANGS if lg in self.pools]
        out = np.empty(who.size, dtype=object)
        fallback = langs[0]
        for lg_i, lg in enumerate(LANGS):
            sel = lang == lg_i
            if not sel.any():
                continue
            pool = self.pools.get(lg, self.pools[fallback])
            out[sel] = np.array(pool, dtype=object)[rng.integers(0, len(pool), int(sel.sum()))]
        lang = np.where(np.isin(lang, [LANG_INDEX[x] for x in langs]), lang, LANG_INDEX[fallback]).astype(np.int8)
        return pa.array(out, pa.string()), lang

    def _add(
        self, batch: Batch, who: np.ndarray, t: np.ndarray, kind: int, code: int, rng: np.random.Generator, **kw
    ) -> int:
        client = rng.choice(len(OP_CLIENT_P), who.size, p=OP_CLIENT_P)
        if "body" not in kw and kind != REPOST:
            kw["body"], lang = self._sentences(who, rng)
        else:
            lang = self.pop.lang[who]
        row = batch.add(who, t, kind, lang, client, tactic=code, **kw)
        self._record(who, code)
        return row

    # ---- one day
    def generate(self, batch: Batch, utc_day_start_s: int, rng: np.random.Generator) -> None:
        op = self.op
        local_mid = utc_day_start_s - op.zone_offset_h * 3600
        if utc_day_start_s < self.start_s:
            return
        if op.tactics.office_hours.enabled and not is_weekday(utc_day_start_s):
            return
        m = self.m
        all_idx = np.arange(m.core_start, m.end)
        on = (m.active_from_s < local_mid + DAY_S) & (m.active_to_s > local_mid)
        active = all_idx[on]
        if active.size == 0:
            return
        self._day = dict(author=batch.column("author"), t=batch.column("t_s"), kind=batch.column("kind"))
        core = active[active < m.amp_start]

        # Original core content (also the seeds amplifiers repost).
        if core.size:
            k = rng.poisson(op.core_posts_per_day * self.scale, core.size)
            who = np.repeat(core, k)
            if who.size:
                tags = self._maybe_tags(who.size, rng)
                self._add_post(
                    batch,
                    who,
                    self._times(local_mid, who.size, 0, rng),
                    CORE_POST_CODE,
                    rng,
                    suffix=tags["_suffix"],
                    hashtags=tags["hashtags"],
                )
        for name in BURST_TACTICS:
            tactic: BurstTactic = getattr(op.tactics, name)
            if not tactic.enabled:
                continue
            n_bursts = rng.poisson(tactic.bursts_per_day * self.scale)
            starts = self._times(local_mid, n_bursts, 4 * tactic.burst_spread_s + 10, rng)
            for t0 in starts:
                who = self._participants(active, tactic, int(t0), rng)
                if who.size:
                    getattr(self, f"_tactic_{name}")(batch, tactic, who, int(t0), core, rng)
        self._fresh_first_actions(batch, local_mid, rng)
        if op.tactics.organic_filler.enabled:
            self._organic_filler(batch, active, local_mid, rng)

    def _participants(self, active: np.ndarray, tactic: BurstTactic, t0: int, rng: np.random.Generator):
        frac = rng.uniform(tactic.participation_min_frac, tactic.participation_max_frac)
        created = self.pop.created_s[active]
        # Only members that exist at the burst start and are still in their active window at its end.
        until = self.m.active_to_s[active - self.m.core_start]
        ok = (created < t0) & (until > t0 + 4 * tactic.burst_spread_s + 10)
        return active[(rng.random(active.size) < frac) & ok]

    def _maybe_tags(self, n: int, rng: np.random.Generator, p: float = 0.3) -> dict:
        tags = np.array(self.op.hashtags, dtype=object)[rng.integers(0, len(self.op.hashtags), n)]
        has = rng.random(n) < p
        return {
            "hashtags": pa.array(np.where(has, "[" + tags + "]", "[]"), pa.string()),
            "_suffix": np.where(has, " #" + tags, ""),
        }

    def _add_post(self, batch: Batch, who, t, code, rng, suffix=None, **kw) -> int:
        body, lang = self._sentences(who, rng)
        if suffix is not None:
            body = pc.binary_join_element_wise(body, pa.array(np.asarray(suffix, dtype=object), pa.string()), "")
        client = rng.choice(len(OP_CLIENT_P), who.size, p=OP_CLIENT_P)
        row = batch.add(who, t, kw.pop("kind", POST), lang, client, body=body, tactic=code, **kw)
        self._record(who, code)
        return row

    # ---- tactics (each appends one burst)
    def _tactic_co_repost(self, batch, tactic, who, t0, core, rng):
        seed_author = core[rng.integers(0, core.size)] if core.size else who[0]
        tags = self._maybe_tags(1, rng, p=0.5)
        seed_row = self._add_post(
            batch,
            np.array([seed_author]),
            np.array([t0]),
            TACTIC_CODE["co_repost"],
            rng,
            suffix=tags["_suffix"],
            hashtags=tags["hashtags"],
        )
        who = who[who != seed_author]
        if who.size:
            self._add(
                batch,
                who,
                t0 + self._delays(who.size, tactic.burst_spread_s, rng),
                REPOST,
                TACTIC_CODE["co_repost"],
                rng,
                target=np.full(who.size, seed_row),
            )

    def _tactic_copy_paste(self, batch, tactic, who, t0, core, rng):
        lg = self.op.languages[int(rng.choice(len(self.op.languages), p=_norm(self.op.language_weights)))]
        base = text.op_sentence(lg, rng)
        url = None
        if rng.random() < 0.4:
            domain = self.op.domains[int(rng.integers(len(self.op.domains)))]
            url = f"https://{domain}/p/{int(rng.integers(10**5, 10**6))}"
        variants, urls = [], []
        for i in range(8):
            v = base if i == 0 else text.perturb(base, rng)
            u = None if url is None else (url if i == 0 else f"{url}?s={int(rng.integers(100, 999))}")
            variants.append(v if u is None else f"{v} {u}")
            urls.append("[]" if u is None else f"[{u}]")
        pick = np.where(rng.random(who.size) < tactic.perturb_frac, rng.integers(1, 8, who.size), 0)
        t = t0 + self._delays(who.size, tactic.burst_spread_s, rng)
        client = rng.choice(len(OP_CLIENT_P), who.size, p=OP_CLIENT_P)
        batch.add(
            who,
            t,
            POST,
            np.full(who.size, LANG_INDEX[lg]),
            client,
            body=pa.array(variants, pa.string()).take(pa.array(pick)),
            urls=pa.array(urls, pa.string()).take(pa.array(pick)),
            tactic=TACTIC_CODE["copy_paste"],
        )
        self._record(who, TACTIC_CODE["copy_paste"])

    def _tactic_hashtag_flood(self, batch, tactic, who, t0, core, rng):
        k = min(tactic.hashtags_per_post, len(self.op.hashtags))
        tags = [self.op.hashtags[int(i)] for i in rng.choice(len(self.op.hashtags), k, replace=False)]
        suffix = " " + " ".join("#" + x for x in tags)
        n = who.size
        self._add_post(
            batch,
            who,
            t0 + self._delays(n, tactic.burst_spread_s, rng),
            TACTIC_CODE["hashtag_flood"],
            rng,
            suffix=np.full(n, suffix),
            hashtags=pa.repeat(pa.scalar(text.list_str(tags)), n),
        )

    def _tactic_link_push(self, batch, tactic, who, t0, core, rng):
        domain = self.op.domains[int(rng.integers(len(self.op.domains)))]
        day = dt.datetime.fromtimestamp(t0, dt.UTC).strftime("%Y/%m")
        links = [
            f"https://{domain}/{day}/{int(rng.integers(10**4, 10**5))}.html" for _ in range(int(rng.integers(1, 4)))
        ]
        pick = rng.integers(0, len(links), who.size)
        u = np.array(links, dtype=object)[pick]
        self._add_post(
            batch,
            who,
            t0 + self._delays(who.size, tactic.burst_spread_s, rng),
            TACTIC_CODE["link_push"],
            rng,
            suffix=" " + u,
            urls=pa.array("[" + u + "]", pa.string()),
        )

    def _tactic_reply_swarm(self, batch, tactic, who, t0, core, rng):
        target = self.m.targets[int(rng.integers(self.m.targets.size))] if self.m.targets.size else -1
        d = self._day
        cand = np.flatnonzero((d["author"] == target) & (d["kind"] == POST) & (d["t"] < t0))
        if cand.size == 0:
            return
        row = cand[np.argmax(d["t"][cand])]
        self._add(
            batch,
            who,
            t0 + self._delays(who.size, tactic.burst_spread_s, rng),
            REPLY,
            TACTIC_CODE["reply_swarm"],
            rng,
            target=np.full(who.size, row),
        )

    def _tactic_mention_swarm(self, batch, tactic, who, t0, core, rng):
        if self.m.targets.size == 0:
            return
        target = self.m.targets[int(rng.integers(self.m.targets.size))]
        self._add(
            batch,
            who,
            t0 + self._delays(who.size, tactic.burst_spread_s, rng),
            POST,
            TACTIC_CODE["mention_swarm"],
            rng,
            mention=np.full(who.size, target),
        )

    def _tactic_amplify_state_media(self, batch, tactic, who, t0, core, rng):
        sm = [self.pop.state_media[h] for h in self.op.state_media if h in self.pop.state_media]
        d = self._day
        cand = np.flatnonzero(np.isin(d["author"], sm) & (d["kind"] == POST) & (d["t"] < t0) & (d["t"] > t0 - DAY_S))
        if cand.size == 0:
            return
        recent = cand[np.argsort(d["t"][cand])[-5:]]
        row = recent[int(rng.integers(recent.size))]
        self._add(
            batch,
            who,
            t0 + self._delays(who.size, tactic.burst_spread_s, rng),
            REPOST,
            TACTIC_CODE["amplify_state_media"],
            rng,
            target=np.full(who.size, row),
        )

    def _organic_filler(self, batch: Batch, active: np.ndarray, local_mid: int, rng: np.random.Generator) -> None:
        """Ordinary activity of the day's active members: each reposts or replies to random ordinary posts of the
        day (the organic rows of this batch) at its own time, any hour of the day, so that it co-acts with nobody in
        particular and its share of coordinated actions falls."""
        f = self.op.tactics.organic_filler
        k = rng.poisson(f.actions_per_day, active.size)
        who = np.repeat(active, k)
        organic_posts = np.flatnonzero((batch.column("kind") == POST) & (batch.column("tactic") < 0))
        if who.size == 0 or organic_posts.size == 0:
            return
        # members that exist by then and are inside their active window: the day's local hours
        t = local_mid + diurnal_seconds(who.size, rng)
        ok = (self.pop.created_s[who] < t) & (self.m.active_to_s[who - self.m.core_start] > t)
        who, t = who[ok], t[ok]
        if who.size == 0:
            return
        target = organic_posts[rng.integers(0, organic_posts.size, who.size)]
        is_repost = rng.random(who.size) < f.repost_frac
        code = TACTIC_CODE["organic_filler"]
        if is_repost.any():
            self._add(batch, who[is_repost], t[is_repost], REPOST, code, rng, target=target[is_repost])
        if (~is_repost).any():
            self._add(batch, who[~is_repost], t[~is_repost], REPLY, code, rng, target=target[~is_repost])

    def _fresh_first_actions(self, batch: Batch, local_mid: int, rng: np.random.Generator) -> None:
        """A brand-new amplifier repeats core content within hours of its creation (if no burst used it yet)."""
        m = self.m
        local = np.flatnonzero(m.is_fresh)
        created = self.pop.created_s[m.core_start + local]
        due = local[(created >= local_mid) & (created < local_mid + DAY_S) & (self.actions[local] == 0)]
        if due.size == 0:
            return
        who = m.core_start + due
        t = self.pop.created_s[who] + rng.integers(600, 5 * 3600, who.size)
        # Reposting core content needs a core post to exist earlier that day; otherwise it posts a slogan.
        tactic = TACTIC_CODE["co_repost"] if self.op.tactics.co_repost.enabled else CORE_POST_CODE
        all_author = batch.column("author")
        all_t = batch.column("t_s")
        all_kind = batch.column("kind")
        core_rows = np.flatnonzero((all_author >= m.core_start) & (all_author < m.amp_start) & (all_kind == POST))
        if tactic != CORE_POST_CODE and core_rows.size:
            order = np.argsort(all_t[core_rows], kind="stable")
            core_rows, core_t = core_rows[order], all_t[core_rows][order]
            pos = np.searchsorted(core_t, t) - 1
            has = pos >= 0
            if has.any():
                self._add(batch, who[has], t[has], REPOST, tactic, rng, target=core_rows[pos[has]])
            who, t = who[~has], t[~has]
        if who.size:
            self._add_post(batch, who, t, CORE_POST_CODE, rng)


def _norm(w) -> np.ndarray:
    a = np.asarray(w, float)
    return a / a.sum()
