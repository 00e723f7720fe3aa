"""Review and enforcement: cases, actions per subject, the two-person rule, appeals, the audit chain.

Modules (each docstring lists its stable public API):

    cases     open_case(...) from a network, an operation, an account list or a tip; get_case(...) snapshots
    actions   propose / approve / execute / exclude: the two-person rule and per-subject statuses
    sampling  sampled sign-off for bulk actions (stratified sample, exact Clopper–Pearson bound)
    appeals   an appeal reopens a subject; upheld or reversed by a reviewer who took no part
    jobs      periodic work: finish interrupted actions, end expired temporary locks
    actor     who is acting: token, password file, or (embedded store only) a named user
    audit     append(...), log_access(...), verify, anchors

Everything lives in the operational store (:mod:`flockwatch.store`), SQLite or PostgreSQL.
"""
