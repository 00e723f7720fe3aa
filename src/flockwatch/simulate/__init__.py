"""A synthetic platform with planted operations and ground truth, written in real formats.

Consumes a preset name (``PRESETS``), a target action count, a seed and overrides; produces, in an output
directory, a Twitter information-operations archive (users file + numbered tweets files), ``logins.csv``,
``truth.csv`` and ``truth.json`` (:func:`simulate` returns a :class:`SimulationResult` with the paths and counts).

Generation streams: one chunk per simulated day (days split further when larger than ``chunk_actions``), each
generated with numpy from its own seed (``SeedSequence([seed, 2, day, part])``), written and dropped. The same seed
gives byte-identical files. Modules: ``config`` (presets, tactic parameters), ``population`` (accounts),
``text`` (multilingual templates), ``organic`` (background), ``operations`` (tactics), ``infra`` (logins),
``writer`` (archive CSV), ``truth`` (ground truth).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from flockwatch.errors import ExternalError
from flockwatch.simulate import hard_negatives
from flockwatch.simulate.batch import Batch
from flockwatch.simulate.config import (
    PRESETS,
    TACTIC_NAMES,
    AmplifyStateMedia,
    BulkCreation,
    BurstTactic,
    CopyPaste,
    CoRepost,
    HardNegatives,
    HashtagFlood,
    Infra,
    LinkPush,
    MentionSwarm,
    OfficeHours,
    OperationConfig,
    OrganicConfig,
    ReplySwarm,
    SimulationConfig,
    TacticSet,
    build_config,
)
from flockwatch.simulate.infra import write_logins
from flockwatch.simulate.operations import OperationGenerator
from flockwatch.simulate.organic import STATE_MEDIA_POSTS_PER_DAY, OrganicGenerator, TextPools
from flockwatch.simulate.population import DAY_S, epoch_s
from flockwatch.simulate.population import build as build_population
from flockwatch.simulate.truth import truth_document, write_truth_csv, write_truth_json
from flockwatch.simulate.writer import ArchiveWriter, MinuteClock

__all__ = [
    "PRESETS",
    "TACTIC_NAMES",
    "AmplifyStateMedia",
    "BulkCreation",
    "BurstTactic",
    "CoRepost",
    "CopyPaste",
    "HardNegatives",
    "HashtagFlood",
    "Infra",
    "LinkPush",
    "MentionSwarm",
    "OfficeHours",
    "OperationConfig",
    "OrganicConfig",
    "ReplySwarm",
    "SimulationConfig",
    "SimulationResult",
    "TacticSet",
    "build_config",
    "simulate",
]

#: ``progress(done_actions, expected_actions, message)``
ProgressFn = Callable[[int, int, str], None]


@dataclass
class SimulationResult:
    out_dir: Path
    users_file: Path
    tweets_files: list[Path]
    logins_file: Path
    truth_csv: Path
    truth_json: Path
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def paths(self) -> list[Path]:
        return [self.users_file, *self.tweets_files, self.logins_file, self.truth_csv, self.truth_json]

    def to_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "paths": [str(p) for p in self.paths],
            "counts": self.counts,
            "seconds": round(self.seconds, 3),
        }


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *key])))


def simulate(
    out_dir: str | Path,
    preset: str = "demo",
    n_actions: int | None = None,
    seed: int = 0,
    progress: ProgressFn | None = None,
    **overrides: Any,
) -> SimulationResult:
    """Generate a synthetic platform with planted operations into ``out_dir`` (created if needed).

    ``overrides`` go to :func:`build_config` (e.g. ``amplifier_factor=200``, ``disable_tactics=["co_repost"]``,
    ``days=21``, ``operation={"n_core": 100}``).
    """
    began = time.perf_counter()
    cfg = build_config(preset, seed=seed, n_actions=n_actions, **overrides)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExternalError(f"cannot create {out}: {exc}") from exc

    pop = build_population(cfg, _rng(seed, 0))
    pools = TextPools.build(_rng(seed, 1))
    # genuine communities that act together: planted before the organic generator reads activity and followers
    communities = hard_negatives.plant(cfg, pop, _rng(seed, 7))
    organic = OrganicGenerator(pop, cfg.organic, pools)
    negatives = (
        hard_negatives.HardNegativeGenerator(cfg.hard_negatives, pop, communities, pools) if communities else None
    )
    gens = [OperationGenerator(cfg, pop, m, _rng(seed, 3, i)) for i, m in enumerate(pop.ops)]
    op_expected = sum(g.expected for g in gens)
    # State-media accounts post on their own schedule (organic.STATE_MEDIA_POSTS_PER_DAY each); count them in.
    state_media_expected = len(pop.state_media) * STATE_MEDIA_POSTS_PER_DAY * cfg.days
    negatives_expected = negatives.expected_actions(cfg.days) if negatives is not None else 0
    n_organic_actions = max(cfg.days * 10, int(cfg.n_actions - op_expected - state_media_expected - negatives_expected))

    start_s = epoch_s(cfg.start_date)
    end_s = epoch_s(cfg.end_date)
    clock = MinuteClock(start_s - 2 * DAY_S, end_s + 4 * DAY_S)
    writer = ArchiveWriter(
        out, cfg.archive_set, cfg.end_date - dt.timedelta(days=1), pop, clock, cfg.max_rows_per_tweets_file
    )
    users_file = writer.write_users()
    actions_per_account = np.zeros(pop.n, np.int64)
    per_day = np.full(cfg.days, n_organic_actions // cfg.days, np.int64)
    per_day[: n_organic_actions % cfg.days] += 1
    total_expected = int(n_organic_actions + op_expected + state_media_expected + negatives_expected)
    try:
        for day in range(cfg.days):
            day_start = start_s + day * DAY_S
            parts = max(1, int(np.ceil(per_day[day] / cfg.chunk_actions)))
            sizes = np.full(parts, per_day[day] // parts)
            sizes[: per_day[day] % parts] += 1
            for part, size in enumerate(sizes):
                rng = _rng(seed, 2, day, part)
                batch = Batch()
                organic.generate(batch, day_start, day, int(size), rng, with_state_media=part == 0)
                if part == 0:
                    for i, gen in enumerate(gens):
                        gen.generate(batch, day_start, _rng(seed, 4, i, day))
                    if negatives is not None:
                        negatives.generate(batch, day_start, day, _rng(seed, 8, day))
                writer.write_batch(batch, _rng(seed, 6, day, part))
                actions_per_account += np.bincount(batch.column("author"), minlength=pop.n)
                if progress:
                    progress(
                        writer.n_rows,
                        total_expected,
                        f"day {day + 1}/{cfg.days} ({(cfg.start_date + dt.timedelta(days=day)).isoformat()})",
                    )
        writer.close()
        if progress:
            progress(writer.n_rows, total_expected, "logins")
        logins_file = out / "logins.csv"
        n_logins = write_logins(logins_file, pop, actions_per_account, start_s, end_s, _rng(seed, 5), seed=seed)
        truth_csv = out / "truth.csv"
        n_truth = write_truth_csv(truth_csv, pop, gens)
    except OSError as exc:
        raise ExternalError(f"writing {out}: {exc}") from exc
    finally:
        writer.close()  # idempotent; stops the writer threads on every path

    counts = {
        "accounts": int(pop.n),
        "organic_accounts": int(pop.n_organic),
        "planted_accounts": int(n_truth),
        "actions": int(writer.n_rows),
        "organic_actions": int(writer.n_rows - sum(int(g.actions.sum()) for g in gens)),
        "operation_actions": int(sum(int(g.actions.sum()) for g in gens)),
        "logins": int(n_logins),
        "tweets_files": len(writer.files),
    }
    files = {
        "users": users_file.name,
        "tweets": [p.name for p in writer.files],
        "logins": logins_file.name,
        "truth_csv": truth_csv.name,
    }
    truth_json = out / "truth.json"
    doc = truth_document(cfg, pop, gens, counts, files)
    doc["hard_negatives"] = hard_negatives.truth_entry(pop, communities)
    write_truth_json(truth_json, doc)
    return SimulationResult(
        out, users_file, list(writer.files), logins_file, truth_csv, truth_json, counts, time.perf_counter() - began
    )
