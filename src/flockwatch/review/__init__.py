"""Review and enforcement: cases, actions per subject, the two-person rule, appeals, the audit chain.

Modules (each docstring lists its stable public API):

    cases     open_case(...) from a network, an operation, an account list or a tip; get_case(...) snapshots
    actions   propose / approve / execute / exclude: the two-person rule and per-subject statuses
    actor     who is acting: token, password file, or (embedded store only) a named user
    audit     append(...), log_access(...), verify, anchors

Everything lives in the operational store (:mod:`flockwatch.store`), SQLite or PostgreSQL.
"""
