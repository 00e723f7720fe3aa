"""Evaluation against ground truth, and a fast Zipf-popularity generator for benchmarks.

Public names: :func:`evaluate`, :func:`read_truth`, :func:`compare_with_categories` (ARI and confusion table
against an external labelling), :func:`adjusted_rand_index`; ``flockwatch.evaluate.zipf.generate`` for synthetic load.
"""

from flockwatch.evaluate.categories import adjusted_rand_index, compare_with_categories, read_categories
from flockwatch.evaluate.metrics import evaluate, read_truth

__all__ = ["adjusted_rand_index", "compare_with_categories", "evaluate", "read_categories", "read_truth"]
