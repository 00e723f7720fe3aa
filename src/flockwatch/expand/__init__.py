"""Expansion: seeds → the rest of the operation, and incremental scoring of brand-new accounts.

- ``seeds``: seed sets (ids, a file, ``network:<id>``).
- ``links``: seed-anchored link observations in SQL (co-actions, amplification, infrastructure, account signals).
- ``expansion``: calibrated ranking with evidence (:func:`expand`).
- ``priors``: account-level evidence of a new account's profile (handle template, creation day and bursts, language,
  location, description) as log-likelihood ratios against a known network and the workspace background.
- ``watch``: micro-batch scoring of newly arriving actions against known networks (:class:`Watcher`).
- ``evaluation``: precision/recall against ground truth, actions needed per account to reach a precision.
"""

from flockwatch.expand.expansion import Expansion, ExpansionParams, expand
from flockwatch.expand.priors import AccountPriors, PriorParams
from flockwatch.expand.seeds import SeedSet, resolve_seeds

__all__ = ["AccountPriors", "Expansion", "ExpansionParams", "PriorParams", "SeedSet", "expand", "resolve_seeds"]
