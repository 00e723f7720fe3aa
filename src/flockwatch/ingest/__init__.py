"""Ingest: platform files → canonical tables, with quarantine of bad rows.

Public entry points: :func:`ingest_paths` (detect format, load atomically, skip what was already loaded) and the
reader registry (:mod:`flockwatch.ingest.registry`). One module per format lives in ``ingest/readers/``.
"""

from flockwatch.ingest.base import ReadContext, Reader, ReadResult, Sniff
from flockwatch.ingest.loader import FileSummary, ingest_file, ingest_paths

__all__ = ["FileSummary", "ReadContext", "ReadResult", "Reader", "Sniff", "ingest_file", "ingest_paths"]
