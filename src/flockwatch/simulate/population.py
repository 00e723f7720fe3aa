"""The simulated population: organic accounts (with state-media and prominent accounts) and operation members.

Consumes a :class:`SimulationConfig` and a seeded generator; produces a :class:`Population` of column arrays (numpy for
numbers, Arrow for strings) indexed by a dense account index. Layout: state-media accounts first, then the rest of the
organic accounts, then each operation's core block and amplifier block (``OpMembers`` records the ranges).

Ids follow the platform's scheme: accounts created after Nov 2010 get a snowflake id derived from their creation time,
older accounts a small sequential-looking id. Screen names are unique by construction: a digit-free stem plus a
number drawn without replacement (organic numbers below 10^7, operation numbers with exactly 8 digits).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flockwatch.simulate import text
from flockwatch.simulate.config import OperationConfig, SimulationConfig

LANGS = ("en", "zh", "sv")
LANG_INDEX = {lang: i for i, lang in enumerate(LANGS)}
TWITTER_EPOCH_MS = 1288834974657
DAY_S = 86400

#: Home zone → (country codes, their weights, language weights over LANGS).
ZONE_PROFILES: dict[int, tuple[tuple[str, ...], tuple[float, ...], tuple[float, float, float]]] = {
    -5: (("US", "CA"), (0.85, 0.15), (1.0, 0.0, 0.0)),
    0: (("GB", "IE"), (0.85, 0.15), (1.0, 0.0, 0.0)),
    1: (("SE", "DE"), (0.8, 0.2), (0.3, 0.0, 0.7)),
    8: (("HK", "TW", "SG", "MY"), (0.5, 0.25, 0.15, 0.1), (0.25, 0.75, 0.0)),
    9: (("JP", "KR"), (0.6, 0.4), (0.7, 0.3, 0.0)),
}


def epoch_s(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


@dataclass
class OpMembers:
    """Where one operation's members sit in the population, and their timeline."""

    config: OperationConfig
    core_start: int
    amp_start: int
    end: int
    is_fresh: np.ndarray  # bool per member (index - core_start)
    active_from_s: np.ndarray
    active_to_s: np.ndarray
    created_in_burst: np.ndarray
    targets: np.ndarray  # population indices of target accounts

    @property
    def members(self) -> np.ndarray:
        return np.arange(self.core_start, self.end)


@dataclass
class Population:
    n: int
    n_organic: int
    userid: np.ndarray  # int64
    created_s: np.ndarray  # int64 epoch seconds
    zone_h: np.ndarray  # int8
    lang: np.ndarray  # int8 index into LANGS
    country: np.ndarray  # object array of ISO-2 codes
    followers: np.ndarray
    following: np.ndarray
    activity: np.ndarray  # float64, organic sampling weights (0 for accounts that post on a schedule)
    screen_name: pa.Array
    display_name: pa.Array
    location: pa.Array
    description: pa.Array
    profile_url: pa.Array
    state_media: dict[str, int]
    ops: list[OpMembers]
    userid_str: pa.Array | None = None

    def finish(self) -> None:
        self.userid_str = pc.cast(pa.array(self.userid), pa.string())


def _snowflake_ids(created_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    ms = created_s.astype(np.int64) * 1000 + rng.integers(0, 1000, created_s.size)
    ids = ((ms - TWITTER_EPOCH_MS) << 22) | rng.integers(0, 1 << 22, created_s.size)
    old = ms < TWITTER_EPOCH_MS
    # Pre-snowflake ids were sequential: older accounts have smaller ids.
    span = max(1, TWITTER_EPOCH_MS - epoch_s(dt.date(2006, 3, 21)) * 1000)
    frac = (ms[old] - epoch_s(dt.date(2006, 3, 21)) * 1000) / span
    ids[old] = 1_000_000 + (frac * 200_000_000).astype(np.int64) + rng.integers(0, 1000, int(old.sum()))
    return ids


def _pick(pool: list[str], idx: np.ndarray) -> pa.Array:
    return pa.array(pool, type=pa.string()).take(pa.array(idx))


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _organic_names(lang: np.ndarray, suffix: np.ndarray, rng: np.random.Generator) -> tuple[pa.Array, pa.Array]:
    n = lang.size
    firsts = functools.reduce(operator.iadd, (text.FIRST_NAMES[lg] for lg in LANGS), [])
    lasts = functools.reduce(operator.iadd, (text.LAST_NAMES[lg] for lg in LANGS), [])
    f_off = np.cumsum([0] + [len(text.FIRST_NAMES[lg]) for lg in LANGS])
    l_off = np.cumsum([0] + [len(text.LAST_NAMES[lg]) for lg in LANGS])
    f_len = np.diff(f_off)[lang]
    l_len = np.diff(l_off)[lang]
    fi = f_off[lang] + (rng.random(n) * f_len).astype(np.int64)
    li = l_off[lang] + (rng.random(n) * l_len).astype(np.int64)
    first = _pick(firsts, fi)
    last = _pick(lasts, li)
    style = rng.integers(0, 3, n)
    stem_a = pc.utf8_lower(pc.replace_substring(_join(first, last), " ", ""))
    stem_b = pc.utf8_lower(_join(pc.replace_substring(first, " ", ""), "_"))
    stem_c = pc.utf8_lower(_join("the", pc.replace_substring(last, " ", "")))
    stem = pc.if_else(pa.array(style == 0), stem_a, pc.if_else(pa.array(style == 1), stem_b, stem_c))
    stem = pc.utf8_slice_codeunits(stem, 0, 8)
    screen = _join(stem, pc.cast(pa.array(suffix), pa.string()))
    display = _join(first, " ", last)
    zh = lang == LANG_INDEX["zh"]
    zh_disp = _join(
        _pick(text.ZH_DISPLAY, rng.integers(0, len(text.ZH_DISPLAY), n)),
        _pick(text.ZH_GIVEN, rng.integers(0, len(text.ZH_GIVEN), n)),
    )
    display = pc.if_else(pa.array(zh & (rng.random(n) < 0.5)), zh_disp, display)
    return screen, display


def _per_lang_pick(pools: dict, lang: np.ndarray, rng: np.random.Generator) -> pa.Array:
    flat = functools.reduce(operator.iadd, (pools[lg] for lg in LANGS), [])
    off = np.cumsum([0] + [len(pools[lg]) for lg in LANGS])
    idx = off[lang] + (rng.random(lang.size) * np.diff(off)[lang]).astype(np.int64)
    return _pick(flat, idx)


def build(cfg: SimulationConfig, rng: np.random.Generator) -> Population:
    oc = cfg.organic
    start_s = epoch_s(cfg.start_date)
    end_s = epoch_s(cfg.end_date)
    n_organic = max(200, int(cfg.n_actions / oc.mean_actions_per_account))

    zones = np.array(list(oc.zones), dtype=np.int8)
    zw = np.array(list(oc.zones.values()), dtype=float)
    zone = zones[rng.choice(zones.size, n_organic, p=zw / zw.sum())]
    lang = np.zeros(n_organic, dtype=np.int8)
    country = np.empty(n_organic, dtype=object)
    for z in np.unique(zone):
        sel = np.flatnonzero(zone == z)
        countries, cw, lw = ZONE_PROFILES[int(z)]
        lang[sel] = rng.choice(3, sel.size, p=np.array(lw) / sum(lw))
        country[sel] = np.array(countries, dtype=object)[rng.choice(len(countries), sel.size, p=np.array(cw))]

    first_s = epoch_s(dt.date.fromisoformat(oc.first_created))
    # Sign-ups spread over years, slightly more recent than old; ~3% joined during the simulated period.
    created = first_s + (rng.beta(1.3, 1.0, n_organic) * (start_s - first_s)).astype(np.int64)
    recent = rng.random(n_organic) < 0.03
    created[recent] = start_s + rng.integers(0, end_s - start_s - DAY_S, int(recent.sum()))
    followers = np.round(rng.lognormal(np.log(150), 1.5, n_organic)).astype(np.int64)
    following = np.round(rng.lognormal(np.log(250), 1.0, n_organic)).astype(np.int64)
    activity = rng.lognormal(0.0, oc.activity_sigma, n_organic)
    # Accounts that joined mid-period cannot have acted before they existed: keep them light.
    activity[recent] *= 0.2

    # Organic-style name numbers for everyone (operations without templated names use them too), drawn together
    # so that no two accounts share a screen name.
    n_planted = sum(op.n_members for op in cfg.operations)
    all_suffix = rng.choice(10_000_000, n_organic + n_planted, replace=False)
    suffix = all_suffix[:n_organic]
    screen, display = _organic_names(lang, suffix, rng)
    loc_flat: list[str] = []
    loc_off = {}
    for z, locs in text.LOCATIONS.items():
        loc_off[z] = (len(loc_flat), len(locs))
        loc_flat.extend(locs)
    lo = np.zeros(n_organic, dtype=np.int64)
    ll = np.ones(n_organic, dtype=np.int64)
    for z, (o, k) in loc_off.items():
        sel = zone == z
        lo[sel], ll[sel] = o, k
    location = _pick(loc_flat, lo + (rng.random(n_organic) * ll).astype(np.int64))
    description = _per_lang_pick(text.BIO, lang, rng)
    has_url = rng.random(n_organic) < 0.15
    profile_url = pc.if_else(pa.array(has_url), _join("https://", screen, ".example.org"), pa.scalar(None, pa.string()))

    # State-media accounts take the first organic slots: real handles, long-lived, millions of followers.
    state_media: dict[str, int] = {}
    n_sm = len(text.STATE_MEDIA)
    sm: dict[str, list] = {"screen": [], "display": [], "description": [], "location": [], "url": []}
    for i, (handle, (name, domain, lg, fol)) in enumerate(text.STATE_MEDIA.items()):
        state_media[handle] = i
        for key, value in (
            ("screen", handle),
            ("display", name),
            ("location", "Beijing, China"),
            ("description", f"{name}. Follow us for the latest news."),
            ("url", f"https://www.{domain}"),
        ):
            sm[key].append(value)
        zone[i], lang[i], country[i] = 8, LANG_INDEX[lg], "CN"
        followers[i], following[i] = fol, int(rng.integers(50, 500))
        created[i] = epoch_s(dt.date(2009 + i, 3, 1 + i))
        activity[i] = 0.0  # they post on their own schedule (organic.state_media_posts)
    organic_str = {
        "screen": screen,
        "display": display,
        "description": description,
        "location": location,
        "url": profile_url,
    }

    blocks = []
    ops: list[OpMembers] = []
    offset = n_organic
    for op in cfg.operations:
        plain = all_suffix[offset : offset + op.n_members]
        blk, members = _operation_members(cfg, op, offset, zone, followers, activity, plain, rng)
        blocks.append(blk)
        ops.append(members)
        offset = members.end

    def strings(key: str) -> pa.Array:
        head = pa.array(sm[key], pa.string())
        return pa.concat_arrays([head, organic_str[key].slice(n_sm)] + [b[key] for b in blocks])

    def numbers(organic: np.ndarray, key: str, dtype=None) -> np.ndarray:
        return np.concatenate([organic] + [np.asarray(b[key], dtype) for b in blocks])

    sizes = [b["created"].size for b in blocks]
    pop = Population(
        n=offset,
        n_organic=n_organic,
        userid=np.zeros(0, np.int64),
        created_s=numbers(created, "created"),
        zone_h=np.concatenate([zone] + [np.full(k, b["zone"], np.int8) for k, b in zip(sizes, blocks, strict=False)]),
        lang=numbers(lang, "lang"),
        country=np.concatenate([country] + [np.full(k, "HK", dtype=object) for k in sizes]),
        followers=numbers(followers, "followers"),
        following=numbers(following, "following"),
        activity=np.concatenate([activity] + [np.zeros(k) for k in sizes]),
        screen_name=strings("screen"),
        display_name=strings("display"),
        location=strings("location"),
        description=strings("description"),
        profile_url=strings("url"),
        state_media=state_media,
        ops=ops,
    )
    pop.userid = _unique_ids(pop.created_s, rng)
    pop.finish()
    return pop


def _unique_ids(created_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    ids = _snowflake_ids(created_s, rng)
    for _ in range(10):
        _, first = np.unique(ids, return_index=True)
        dup = np.ones(ids.size, bool)
        dup[first] = False
        if not dup.any():
            return ids
        ids[dup] = _snowflake_ids(created_s[dup], rng)
    raise RuntimeError("could not draw unique account ids")  # pragma: no cover - 22 random bits per second


def _weekday_times(
    days: np.ndarray, zone_h: int, rng: np.random.Generator, start_h: float = 9.0, end_h: float = 11.0
) -> np.ndarray:
    """Instants on the given UTC-midnight day starts, between local ``start_h`` and ``end_h`` in ``zone_h``."""
    secs = (start_h + rng.random(days.size) * (end_h - start_h)) * 3600
    return (days + secs - zone_h * 3600).astype(np.int64)


def _creation_bursts(
    n: int,
    lo_s: int,
    hi_s: int,
    n_bursts: int,
    burst_days: float,
    zone_h: int,
    weekdays_only: bool,
    rng: np.random.Generator,
) -> np.ndarray:
    """``n`` creation instants clustered in ``n_bursts`` windows of ``burst_days`` days inside [lo_s, hi_s)."""
    span_days = max(1, (hi_s - lo_s) // DAY_S - int(np.ceil(burst_days)))
    starts = lo_s + rng.choice(span_days, size=min(n_bursts, span_days), replace=False) * DAY_S
    which = rng.integers(0, starts.size, n)
    days = starts[which] + (rng.random(n) * burst_days).astype(np.int64) * DAY_S
    if weekdays_only:
        days = _to_weekday(days)
    return _weekday_times(days, zone_h, rng)


def _to_weekday(day_starts: np.ndarray) -> np.ndarray:
    # 1970-01-01 was a Thursday: weekday index (Mon=0) = (days + 3) % 7.
    wd = (day_starts // DAY_S + 3) % 7
    shift = np.where(wd == 5, 2, np.where(wd == 6, 1, 0))
    return day_starts + shift * DAY_S


def _operation_members(
    cfg: SimulationConfig,
    op: OperationConfig,
    offset: int,
    zone: np.ndarray,
    followers: np.ndarray,
    activity: np.ndarray,
    plain_suffix: np.ndarray,
    rng: np.random.Generator,
):
    t = op.tactics
    n_core, n_amp = op.n_core, op.n_amplifiers
    n = n_core + n_amp
    n_fresh = round(n_amp * op.fresh_frac)
    is_fresh = np.zeros(n, bool)
    is_fresh[n - n_fresh :] = True
    op_start_s = epoch_s(dt.date.fromisoformat(op.start))
    susp_s = epoch_s(dt.date.fromisoformat(op.first_suspension))
    end_s = epoch_s(cfg.end_date)
    weekdays = t.office_hours.enabled
    created = np.zeros(n, np.int64)
    in_burst = np.zeros(n, bool)
    veterans = np.flatnonzero(~is_fresh)
    # Veterans: bought or bulk-registered accounts, created in bursts over the two years before the campaign.
    lo = op_start_s - 730 * DAY_S
    if t.bulk_creation.enabled:
        burst = rng.random(veterans.size) < t.bulk_creation.in_burst_frac
        in_burst[veterans[burst]] = True
        created[veterans[burst]] = _creation_bursts(
            int(burst.sum()),
            lo,
            op_start_s - 7 * DAY_S,
            t.bulk_creation.core_bursts,
            t.bulk_creation.burst_days,
            op.zone_offset_h,
            weekdays,
            rng,
        )
        rest = veterans[~burst]
    else:
        rest = veterans
    first_s = epoch_s(dt.date(2009, 1, 1))
    created[rest] = first_s + (rng.random(rest.size) * (op_start_s - 30 * DAY_S - first_s)).astype(np.int64)
    fresh = np.flatnonzero(is_fresh)
    last_day = end_s - 2 * DAY_S
    if t.bulk_creation.enabled:
        created[fresh] = _creation_bursts(fresh.size, susp_s, last_day, 3, 2.0, op.zone_offset_h, weekdays, rng)
        in_burst[fresh] = True
    else:
        days = susp_s + rng.integers(0, max(1, (last_day - susp_s) // DAY_S), fresh.size) * DAY_S
        created[fresh] = _weekday_times(_to_weekday(days) if weekdays else days, op.zone_offset_h, rng)
    active_from = np.maximum(created, op_start_s)
    active_to = np.full(n, end_s, np.int64)
    active_to[fresh] = created[fresh] + int(op.fresh_active_days * DAY_S)

    lang_idx = np.array([LANG_INDEX[lg] for lg in op.languages])
    lw = np.array(op.language_weights, float)
    lang = lang_idx[rng.choice(lang_idx.size, n, p=lw / lw.sum())].astype(np.int8)
    suffix = rng.choice(90_000_000, n, replace=False) + 10_000_000
    if t.bulk_creation.enabled:
        # Templated names: a shared pinyin prefix + 8 digits (``wan83721946``); fresh ones random letters + digits.
        prefixes = list(t.bulk_creation.name_prefixes)
        stem = _pick(prefixes, rng.integers(0, len(prefixes), n))
        # Six random lowercase letters per fresh account, built as bytes (no per-account Python call).
        letters = (rng.integers(0, 26, (fresh.size, 6)) + ord("a")).astype(np.uint8)
        rand_stem = pa.array(np.frombuffer(letters.tobytes(), dtype="S6").astype(str), pa.string())
        stem = pa.concat_arrays([stem.slice(0, n - fresh.size), rand_stem])
        screen = _join(stem, pc.cast(pa.array(suffix), pa.string()))
        display = _join(
            _pick(text.ZH_DISPLAY, rng.integers(0, len(text.ZH_DISPLAY), n)),
            _pick(text.ZH_GIVEN, rng.integers(0, len(text.ZH_GIVEN), n)),
        )
    else:
        screen, display = _organic_names(lang, plain_suffix, rng)
    empty = pa.array([""] * n, pa.string())
    location = pc.if_else(pa.array(rng.random(n) < 0.3), pa.scalar("Hong Kong"), empty)
    description = pc.if_else(pa.array(rng.random(n) < 0.2), _per_lang_pick(text.BIO, lang, rng), empty)
    fol = np.round(rng.lognormal(np.log(25), 1.2, n)).astype(np.int64)
    fol[fresh] = rng.integers(0, 6, fresh.size)
    fng = np.round(rng.lognormal(np.log(120), 0.8, n)).astype(np.int64)

    # Targets: prominent organic accounts in the op's zone (journalists, activists in the real case).
    cand = np.flatnonzero((zone == op.zone_offset_h) & (activity > 0))
    top = cand[np.argsort(-followers[cand], kind="stable")[: max(op.n_targets * 5, op.n_targets)]]
    targets = np.sort(rng.choice(top, size=min(op.n_targets, top.size), replace=False))
    followers[targets] = np.maximum(followers[targets], rng.integers(50_000, 500_000, targets.size))
    activity[targets] = np.maximum(activity[targets], np.quantile(activity, 0.95))

    members = OpMembers(
        config=op,
        core_start=offset,
        amp_start=offset + n_core,
        end=offset + n,
        is_fresh=is_fresh,
        active_from_s=active_from,
        active_to_s=active_to,
        created_in_burst=in_burst,
        targets=targets,
    )
    blk = dict(
        created=created,
        zone=op.zone_offset_h,
        lang=lang,
        followers=fol,
        following=fng,
        screen=screen,
        display=display,
        location=location,
        description=description,
        url=pa.nulls(n, pa.string()),
    )
    return blk, members
