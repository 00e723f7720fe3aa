"""Expansion: seeds → the rest of the operation, and incremental scoring of brand-new accounts.

- ``seeds``: seed sets (ids, a file, ``network:<id>``).
- ``links``: seed-anchored link observations in SQL (co-actions, amplification, infrastructure, account signals).
- ``expansion``: calibrated ranking with evidence (:func:`expand`).
- ``watch``: micro-batch scoring of newly arriving actions against known networks (:class:`Watcher`).
- ``evaluation``: precision/recall against ground truth, actions needed per account to reach a precision.
"""

from flockwatch.expand.expansion import Expansion, ExpansionParams, expand
from flockwatch.expand.seeds import SeedSet, resolve_seeds

__all__ = ["Expansion", "ExpansionParams", "SeedSet", "expand", "resolve_seeds"]
