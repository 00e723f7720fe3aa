"""Public disclosure: the IO-format archive with keyed HMAC pseudonyms, the statement, indicators for peers,
DSA statements of reasons — and the leak search every release must pass.

Consumes an open workspace, the accounts to disclose (:func:`draft_subjects` for a candidate network or operation)
and a release key (:func:`generate_key`, :func:`load_key`); produces a release directory (:func:`publish`).
Modules: ``keys`` (release keys, rotation), ``pseudonyms`` (HMAC pseudonyms, the protected set), ``archive``
(users/tweets CSVs and zip), ``statement`` (HTML/PDF), ``indicators`` (CSV, STIX 2.1), ``reasons`` (DSA Art. 17
and the Transparency Database export), ``leaks`` (the search), ``release`` (one release, end to end).
"""

from __future__ import annotations

from flockwatch.disclose.keys import ReleaseKey, generate_key, load_key, rotate_key
from flockwatch.disclose.leaks import LeakReport, search_release
from flockwatch.disclose.pseudonyms import DEFAULT_THRESHOLD_FOLLOWERS, Protection, Pseudonymiser
from flockwatch.disclose.release import Release, ReleaseOptions, publish
from flockwatch.disclose.subjects import Subject, Subjects, case_subjects, draft_subjects

__all__ = [
    "DEFAULT_THRESHOLD_FOLLOWERS",
    "LeakReport",
    "Protection",
    "Pseudonymiser",
    "Release",
    "ReleaseKey",
    "ReleaseOptions",
    "Subject",
    "Subjects",
    "case_subjects",
    "draft_subjects",
    "generate_key",
    "load_key",
    "publish",
    "rotate_key",
    "search_release",
]
