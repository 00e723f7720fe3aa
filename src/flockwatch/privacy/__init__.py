"""Data protection: retention limits per kind of personal data, and deletion requests — both honouring legal holds.

Modules: ``policy`` (the workspace's retention limits, ``retention.toml``), ``retention`` (what is past its limit,
and removing it), ``deletion`` (an account's deletion request), ``ledger`` (removals in the warehouse audited exactly
once in the operational store, across a crash between the two). Legal holds live with the cases
(:mod:`flockwatch.review.holds`).
"""
