"""Simulation configuration: tactic and operation parameters, organic background, and the preset registry.

Consumes nothing; produces :class:`SimulationConfig` objects that the generators (``organic.py``,
``operations.py``, ``infra.py``) read and that ``truth.py`` records in ``truth.json``. Every field carries its unit in
its name (``*_s`` seconds, ``*_per_day`` rates, ``*_frac`` fractions in [0, 1], ``*_h`` hours).

To add a preset: write a function returning a :class:`SimulationConfig` and add one line to ``PRESETS``. To add a
tactic: add a config dataclass here, a field on :class:`TacticSet`, and a generator in ``operations.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flockwatch.errors import UnknownNameError, ValidationError

#: Tactic names, stable: they appear in truth.csv and in evaluations.
TACTIC_NAMES = (
    "co_repost",
    "copy_paste",
    "hashtag_flood",
    "link_push",
    "reply_swarm",
    "mention_swarm",
    "bulk_creation",
    "office_hours",
    "infra",
    "amplify_state_media",
    "organic_filler",
)


@dataclass
class BurstTactic:
    """A tactic executed in bursts: each burst involves a random share of the members active that day."""

    enabled: bool = True
    bursts_per_day: float = 4.0
    # Real operations never mobilise everyone at once; 5-30% per burst keeps detection non-trivial.
    participation_min_frac: float = 0.05
    participation_max_frac: float = 0.30
    burst_spread_s: float = 180.0
    """Mean delay of a participant after the burst start (exponential); delays are capped at 4x this."""


@dataclass
class CoRepost(BurstTactic):
    """Members repost the same seed post (a fresh core post) within seconds to minutes."""


@dataclass
class CopyPaste(BurstTactic):
    """Members post the same text with light perturbations (punctuation, an emoji, a word, a URL suffix)."""

    burst_spread_s: float = 900.0
    perturb_frac: float = 0.6


@dataclass
class HashtagFlood(BurstTactic):
    """Members push a few hashtags in bursts."""

    burst_spread_s: float = 600.0
    hashtags_per_post: int = 2


@dataclass
class LinkPush(BurstTactic):
    """Members post links to a few domains."""

    bursts_per_day: float = 2.0
    burst_spread_s: float = 1200.0


@dataclass
class ReplySwarm(BurstTactic):
    """Members reply to a recent post of one target account."""

    bursts_per_day: float = 2.0
    burst_spread_s: float = 600.0


@dataclass
class MentionSwarm(BurstTactic):
    """Members post texts mentioning one target account."""

    bursts_per_day: float = 1.5
    burst_spread_s: float = 900.0


@dataclass
class AmplifyStateMedia(BurstTactic):
    """Members repost recent posts of state-media accounts that exist in the organic population."""

    bursts_per_day: float = 3.0
    burst_spread_s: float = 400.0


@dataclass
class BulkCreation:
    """Accounts created in bursts (many within days) with templated names (letters + digits, shared prefixes)."""

    enabled: bool = True
    core_bursts: int = 4
    burst_days: float = 3.0
    in_burst_frac: float = 0.8
    """Share of core/veteran members created inside bursts; the rest look repurposed (spread over years)."""
    name_prefixes: tuple[str, ...] = ("wan", "li", "zhang", "chen", "liu")


@dataclass
class OfficeHours:
    """All member activity in the operation's zone, weekdays 09:00-18:00, with a lunch dip 12:00-13:30."""

    enabled: bool = True
    start_h: float = 9.0
    end_h: float = 18.0
    lunch_start_h: float = 12.0
    lunch_end_h: float = 13.5
    lunch_rate_frac: float = 0.15
    """Activity during lunch relative to the rest of the working day."""


@dataclass
class Infra:
    """Members log in from a few ASNs / VPN exits plus some unblocked mainland prefixes."""

    enabled: bool = True
    n_vpn_exits: int = 6
    n_mainland_prefixes: int = 12
    mainland_frac: float = 0.25
    """Share of member logins that come straight from mainland prefixes (the VPN 'slipped')."""


@dataclass
class OrganicFiller:
    """Members also act like ordinary users: reposts of and replies to the day's ordinary posts, spread over the
    day, each on its own (no burst). It dilutes their co-action rates; off unless asked for (the red team's
    ``organic_filler`` transform)."""

    enabled: bool = False
    actions_per_day: float = 2.0
    """Mean ordinary actions per active member per active day (Poisson)."""
    repost_frac: float = 0.6
    """Share of filler actions that are reposts; the rest are replies."""


@dataclass
class TacticSet:
    co_repost: CoRepost = field(default_factory=CoRepost)
    copy_paste: CopyPaste = field(default_factory=CopyPaste)
    hashtag_flood: HashtagFlood = field(default_factory=HashtagFlood)
    link_push: LinkPush = field(default_factory=LinkPush)
    reply_swarm: ReplySwarm = field(default_factory=ReplySwarm)
    mention_swarm: MentionSwarm = field(default_factory=MentionSwarm)
    bulk_creation: BulkCreation = field(default_factory=BulkCreation)
    office_hours: OfficeHours = field(default_factory=OfficeHours)
    infra: Infra = field(default_factory=Infra)
    amplify_state_media: AmplifyStateMedia = field(default_factory=AmplifyStateMedia)
    organic_filler: OrganicFiller = field(default_factory=OrganicFiller)

    def enabled_names(self) -> list[str]:
        return [n for n in TACTIC_NAMES if getattr(self, n).enabled]


@dataclass
class OperationConfig:
    """One planted operation: who, when, where from, what it pushes, and how."""

    operation_id: str = "op1"
    n_core: int = 60
    n_amplifiers: int = 300
    fresh_frac: float = 0.5
    """Share of amplifiers created after ``first_suspension`` and only briefly active."""
    fresh_active_days: float = 3.0
    """A fresh amplifier acts only within this many days after its creation."""
    zone_offset_h: int = 8
    start: str = "2019-06-10"
    first_suspension: str = "2019-07-22"
    languages: tuple[str, ...] = ("zh", "en")
    language_weights: tuple[float, ...] = (0.7, 0.3)
    hashtags: tuple[str, ...] = ("hongkong", "香港", "standwithhkpolice", "反暴力", "止暴制乱")
    domains: tuple[str, ...] = ("hk-truth-daily.example", "voice-of-harbour.example", "pearl-news.example")
    n_targets: int = 5
    """Target accounts (replied to / mentioned) are chosen among prominent organic UTC+8 accounts."""
    state_media: tuple[str, ...] = ("XHNews", "PDChina", "ChinaDaily", "CGTNOfficial")
    core_posts_per_day: float = 1.0
    """Original posts per core member per active day (seed content the amplifiers repost)."""
    max_share_of_actions_frac: float = 0.15
    """Burst rates are scaled down so the operation stays below this share of all actions."""
    tactics: TacticSet = field(default_factory=TacticSet)

    @property
    def n_members(self) -> int:
        return self.n_core + self.n_amplifiers


@dataclass
class OrganicConfig:
    """The organic background: who posts, when, and how content spreads."""

    mean_actions_per_account: float = 40.0
    activity_sigma: float = 1.6
    """Lognormal sigma of per-account activity: a few accounts do most of the posting."""
    zones: dict[int, float] = field(default_factory=lambda: {-5: 0.3, 0: 0.18, 1: 0.22, 8: 0.25, 9: 0.05})
    post_frac: float = 0.5
    repost_frac: float = 0.36
    reply_frac: float = 0.12
    quote_frac: float = 0.02
    cascade_frac: float = 0.6
    """Share of reposts that belong to viral cascades (the rest hit random posts)."""
    cascade_min_size: int = 20
    cascade_alpha: float = 1.4
    """Pareto exponent of cascade sizes (heavy-tailed popularity)."""
    cascade_median_delay_s: float = 900.0
    trends_per_day: int = 3
    trend_frac: float = 0.08
    """Share of posts that carry one of the day's trending hashtags, all within a few hours."""
    trend_spread_s: float = 5400.0
    first_created: str = "2008-01-01"


@dataclass
class HardNegatives:
    """Genuine communities that act together (``hard_negatives.py``); counts are capped by the organic population."""

    enabled: bool = True
    fandom_accounts: int = 400
    fandom_star_posts_per_day: float = 3.0
    fandom_participation_min_frac: float = 0.3
    fandom_participation_max_frac: float = 0.8
    fandom_delay_s: float = 120.0
    """Median delay of a fan's retweet after the star's post (lognormal)."""
    fandom_young_frac: float = 0.2
    """Share of fans whose account is young (created 2 weeks to 18 months before the period)."""
    fandom_templated_frac: float = 0.3
    """Share of fans with a templated fan handle (``jiminstan1234``)."""
    event_accounts: int = 2000
    news_outlets: int = 40
    wire_stories_per_day: float = 6.0
    syndication_share_frac: float = 0.8
    sports_accounts: int = 600
    sports_matches: int = 6


@dataclass
class SimulationConfig:
    preset: str
    seed: int
    n_actions: int
    start: str
    days: int
    archive_set: str = "sim"
    organic: OrganicConfig = field(default_factory=OrganicConfig)
    operations: list[OperationConfig] = field(default_factory=list)
    hard_negatives: HardNegatives = field(default_factory=HardNegatives)
    chunk_actions: int = 500_000
    """Organic actions per generated chunk: bounds memory whatever the total."""
    max_rows_per_tweets_file: int = 10_000_000

    @property
    def start_date(self) -> dt.date:
        return dt.date.fromisoformat(self.start)

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.days)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def validate(self) -> None:
        if self.n_actions < 1000:
            raise ValidationError(f"--actions must be at least 1000 (got {self.n_actions})")
        if self.days < 2:
            raise ValidationError("a simulation needs at least 2 days")
        for op in self.operations:
            for d in (op.start, op.first_suspension):
                when = dt.date.fromisoformat(d)
                if not self.start_date <= when < self.end_date:
                    raise ValidationError(f"{op.operation_id}: date {d} outside the simulated period")
            if op.n_core < 1 or op.n_amplifiers < 0:
                raise ValidationError(f"{op.operation_id}: needs at least one core account")
            # Every fresh amplifier acts at least once, and the operation stays under its share of all actions.
            n_fresh = round(op.n_amplifiers * op.fresh_frac)
            needed = int(np.ceil(n_fresh / op.max_share_of_actions_frac))
            if self.n_actions < needed:
                raise ValidationError(
                    f"{op.operation_id}: {n_fresh:,} fresh amplifiers need at least {needed:,} actions in total; "
                    "raise --actions or lower the amplifier count"
                )
            for name in TACTIC_NAMES:
                t = getattr(op.tactics, name)
                if isinstance(t, BurstTactic) and not (0 < t.participation_min_frac <= t.participation_max_frac <= 1):
                    raise ValidationError(f"{op.operation_id}.{name}: participation fractions must be in (0, 1]")


def _demo(seed: int, n_actions: int | None) -> SimulationConfig:
    return SimulationConfig(
        preset="demo",
        seed=seed,
        n_actions=n_actions or 50_000,
        start="2019-06-03",
        days=28,
        operations=[
            OperationConfig(
                operation_id="op_demo",
                n_core=60,
                n_amplifiers=300,
                start="2019-06-05",
                first_suspension="2019-06-19",
            )
        ],
    )


def _small(seed: int, n_actions: int | None) -> SimulationConfig:
    ops = OperationConfig(
        operation_id="op_small",
        n_core=20,
        n_amplifiers=100,
        n_targets=3,
        start="2019-06-04",
        first_suspension="2019-06-11",
        max_share_of_actions_frac=0.2,
    )
    return SimulationConfig(
        preset="small",
        seed=seed,
        n_actions=n_actions or 12_000,
        start="2019-06-03",
        days=14,
        organic=OrganicConfig(mean_actions_per_account=25.0, trends_per_day=1),
        operations=[ops],
    )


def _hk2019(seed: int, n_actions: int | None, amplifier_factor: float = 20.0) -> SimulationConfig:
    # The August 2019 case: 936 core accounts run from China against the Hong Kong protests, ~200,000 amplifiers
    # (many brand new), VPNs and some unblocked mainland IPs. The period ends at the disclosure date.
    ops = OperationConfig(
        operation_id="hk2019",
        n_core=936,
        n_amplifiers=round(936 * amplifier_factor),
        fresh_frac=0.6,
        start="2019-06-10",
        first_suspension="2019-07-25",
        n_targets=12,
        hashtags=("hongkong", "香港", "standwithhkpolice", "反暴力", "止暴制乱", "HongKongRiots", "守护香港"),
        domains=("hk-truth-daily.example", "voice-of-harbour.example", "pearl-news.example", "lionrock-times.example"),
    )
    return SimulationConfig(
        preset="hk2019",
        seed=seed,
        n_actions=n_actions or 5_000_000,
        start="2019-06-01",
        days=80,
        archive_set="sim",
        operations=[ops],
    )


PresetFn = Callable[..., SimulationConfig]

#: Stable preset names → builders ``(seed, n_actions, **kw) -> SimulationConfig``.
PRESETS: dict[str, PresetFn] = {"demo": _demo, "hk2019": _hk2019, "small": _small}


def build_config(preset: str, seed: int = 0, n_actions: int | None = None, **overrides: Any) -> SimulationConfig:
    """The configuration of ``preset`` with ``overrides`` applied.

    Overrides: ``amplifier_factor`` (hk2019), any top-level :class:`SimulationConfig` field (``days``,
    ``chunk_actions``...), ``disable_tactics=[names]`` (every operation), ``operation={field: value}`` applied to
    every operation (``tactics`` values there may be ``{tactic: {param: value}}``), and
    ``hard_negatives={field: value}`` (:class:`HardNegatives`; ``{"enabled": False}`` leaves them out).
    """
    if preset not in PRESETS:
        raise UnknownNameError("preset", preset, list(PRESETS))
    kw = {}
    if "amplifier_factor" in overrides:
        factor = overrides.pop("amplifier_factor")
        if preset != "hk2019":
            raise ValidationError("amplifier_factor applies to the hk2019 preset only")
        if factor is not None:
            if factor < 0:
                raise ValidationError("amplifier_factor must be >= 0")
            kw["amplifier_factor"] = float(factor)
    cfg = PRESETS[preset](seed, n_actions, **kw)
    disable = overrides.pop("disable_tactics", None) or ()
    op_over = overrides.pop("operation", None) or {}
    for key, value in (overrides.pop("hard_negatives", None) or {}).items():
        if not hasattr(cfg.hard_negatives, key):
            raise ValidationError(f"unknown hard-negative option {key!r}")
        setattr(cfg.hard_negatives, key, value)
    for key, value in overrides.items():
        if key not in {f.name for f in dataclasses.fields(SimulationConfig)} or key in (
            "organic",
            "operations",
            "hard_negatives",
        ):
            raise ValidationError(f"unknown simulation option {key!r}")
        setattr(cfg, key, value)
    for op in cfg.operations:
        for key, value in op_over.items():
            if key == "tactics":
                for tname, params in value.items():
                    _set_tactic(op, tname, params)
            elif key in {f.name for f in dataclasses.fields(OperationConfig)}:
                setattr(op, key, value)
            else:
                raise ValidationError(f"unknown operation option {key!r}")
        for name in disable:
            _set_tactic(op, name, {"enabled": False})
    cfg.validate()
    return cfg


def _set_tactic(op: OperationConfig, name: str, params: dict[str, Any]) -> None:
    if name not in TACTIC_NAMES:
        raise UnknownNameError("tactic", name, list(TACTIC_NAMES))
    tactic = getattr(op.tactics, name)
    for k, v in params.items():
        if not hasattr(tactic, k):
            raise ValidationError(f"tactic {name} has no parameter {k!r}")
        setattr(tactic, k, v)
