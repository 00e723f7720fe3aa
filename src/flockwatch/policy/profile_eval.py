"""Measuring profile linking on real ground truth: the State Media Matrix's own Twitter links as the answer key.

Consumes a State Media Matrix CSV (the shipped one, or ``/work/shared/data/state-media``'s) and optionally profiles
known *not* to belong to any Matrix outlet's company (negatives). Produces :class:`LinkingResult` per protocol:
precision (proposals whose outlet is the answer / proposals), recall (correct proposals / accounts), and every
miss and wrong proposal, so a reader can check the figures.

The answer key: each distinct Twitter handle in the Matrix belongs to the media company (country, company) of the
rows that list it. A profile is built for it from public fields only — the handle, the row's asset name as the
display name ("Television: SinoVision" → "SinoVision") and the row's URL as the profile website — and the linker,
not told the handle, must name the company. Protocols:

- ``accounts_unknown``: the linker knows every company's names and domains but none of the Matrix's Twitter
  handles (a registry that knows outlets, not their accounts: the issue's case).
- ``leave_one_out``: for each handle, every Matrix row listing it is removed from what the linker knows (names,
  domains and handles of those rows); the company is found only through its other rows, if it has any.
- ``name_only`` / ``url_only``: as ``accounts_unknown`` with only the display name / only the profile website:
  what each signal finds alone.
- ``handle_only``: as ``leave_one_out`` but the profile has only its handle (handle patterns alone).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flockwatch.errors import ValidationError
from flockwatch.policy.countries import country_code
from flockwatch.policy.matrix import _read_matrix
from flockwatch.policy.normalise import host_key, name_key, social_account
from flockwatch.policy.profile_links import LinkIndex, OutletKeys, Profile, _clean_name

Company = tuple[str, str]  # (country code, company name key)


@dataclass
class LinkingResult:
    protocol: str
    accounts: int
    proposals: int
    correct: int
    negatives: int = 0
    negative_proposals: int = 0
    wrong: list[dict[str, Any]] = field(default_factory=list)
    missed: list[dict[str, Any]] = field(default_factory=list)
    negative_hits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        n = self.proposals + self.negative_proposals
        return self.correct / n if n else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.accounts if self.accounts else None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["precision"] = self.precision
        d["recall"] = self.recall
        return d


@dataclass(frozen=True)
class _Row:
    line: int
    company: Company
    company_name: str
    asset: str
    url: str
    handle: str | None


def _rows(matrix_csv: Path) -> list[_Row]:
    out = []
    for line, r in enumerate(_read_matrix(matrix_csv), start=2):
        try:
            code = country_code(r.get("Country", ""))
        except ValidationError:  # rows without a usable country are skipped by the import too
            continue
        company = r.get("Media company", "")
        if not company:
            continue
        acct = social_account(r.get("Twitter Link", "")) if r.get("Twitter Link") else None
        handle = acct[1] if acct and acct[0] == "twitter" else None
        out.append(_Row(line, (code, name_key(company)), company, r.get("Main assets", ""), r.get("URL", ""), handle))
    return out


def _index(rows: Iterable[_Row], with_handles: bool) -> tuple[LinkIndex, dict[int, Company]]:
    grouped: dict[Company, list[_Row]] = {}
    for r in rows:
        grouped.setdefault(r.company, []).append(r)
    keys, ids = [], {}
    for i, (company, rs) in enumerate(sorted(grouped.items()), start=1):
        ids[i] = company
        names = tuple(sorted({r.asset for r in rs if r.asset}))
        domains = tuple(sorted({h for r in rs if r.url for h in [host_key(r.url)] if h}))
        handles = tuple(sorted({r.handle for r in rs if r.handle})) if with_handles else ()
        keys.append(OutletKeys(i, rs[0].company_name, names, domains, handles))
    return LinkIndex(keys), ids


def _profile(handle: str, rows: Sequence[_Row], fields: bool) -> Profile:
    first = rows[0]
    if not fields:
        return Profile("twitter", handle)
    return Profile("twitter", handle, _clean_name(first.asset), "", first.url)


PROTOCOLS = ("accounts_unknown", "name_only", "url_only", "leave_one_out", "handle_only")


def evaluate_profile_linking(
    matrix_csv: str | Path,
    negatives: Sequence[Profile] = (),
    min_confidence: float | None = None,
    protocols: Sequence[str] = PROTOCOLS,
) -> list[LinkingResult]:
    """Precision and recall of :class:`LinkIndex.propose` under each protocol (module docstring)."""
    from flockwatch.policy.profile_links import MIN_CONFIDENCE

    threshold = MIN_CONFIDENCE if min_confidence is None else min_confidence
    rows = _rows(Path(matrix_csv))
    by_handle: dict[str, list[_Row]] = {}
    for r in rows:
        if r.handle:
            by_handle.setdefault(r.handle, []).append(r)
    results = []
    if "accounts_unknown" in protocols:
        full_index, full_ids = _index(rows, with_handles=False)
        res = LinkingResult("accounts_unknown", len(by_handle), 0, 0)
        for handle, rs in sorted(by_handle.items()):
            _score(res, full_index.propose(_profile(handle, rs, True), threshold), full_ids, handle, rs)
        known_index, _ = _index(rows, with_handles=True)
        for p in negatives:
            res.negatives += 1
            got = known_index.propose(p, threshold)
            if got is not None:
                res.negative_proposals += 1
                res.negative_hits.append({"handle": p.handle, "proposed": got.outlet, "confidence": got.confidence})
        results.append(res)
    for protocol, keep in (("name_only", "name"), ("url_only", "url")):
        if protocol not in protocols:
            continue
        index, ids = _index(rows, with_handles=False)
        res = LinkingResult(protocol, len(by_handle), 0, 0)
        for handle, rs in sorted(by_handle.items()):
            full = _profile(handle, rs, True)
            prof = Profile(
                "twitter",
                handle,
                full.display_name if keep == "name" else "",
                "",
                full.profile_url if keep == "url" else "",
            )
            _score(res, index.propose(prof, threshold), ids, handle, rs)
        results.append(res)
    for protocol, fields in (("leave_one_out", True), ("handle_only", False)):
        if protocol not in protocols:
            continue
        res = LinkingResult(protocol, len(by_handle), 0, 0)
        for handle, rs in sorted(by_handle.items()):
            held = {r.line for r in rs}
            index, ids = _index((r for r in rows if r.line not in held), with_handles=True)
            _score(res, index.propose(_profile(handle, rs, fields), threshold), ids, handle, rs)
        results.append(res)
    return results


def _score(res: LinkingResult, got: Any, ids: dict[int, Company], handle: str, rows: Sequence[_Row]) -> None:
    answer = {r.company for r in rows}
    names = sorted({r.company_name for r in rows})
    if got is None:
        res.missed.append({"handle": handle, "answer": names})
        return
    res.proposals += 1
    if ids[got.outlet_id] in answer:
        res.correct += 1
    else:
        res.wrong.append(
            {
                "handle": handle,
                "answer": names,
                "proposed": got.outlet,
                "confidence": got.confidence,
                "evidence": [e.detail for e in got.evidence],
            }
        )
