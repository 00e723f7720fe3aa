"""Narratives: what a candidate network and the accounts around it are saying, over time.

Consumes actions and their entity tables for an account set; produces top hashtags, domains, terms (Chinese-aware),
languages and targets with lift against the background, and their week-by-week change (``summary.py``;
tokenisation in ``tokens.py``).
"""

from flockwatch.narratives.summary import FACETS, NarrativeSummary, summarise_narratives

__all__ = ["FACETS", "NarrativeSummary", "summarise_narratives"]
