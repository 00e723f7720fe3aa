"""Which cases name a subject (an account, a Page, a Group, a domain): the account page's "cases" section.

Consumes a :class:`~flockwatch.store.Store` and a subject id; produces one dict per case that lists it, newest case
first: ``case_id, title, case_status, opened_at, run_id, subject_status, action_id``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from flockwatch.store import Store
from flockwatch.store.tables import ops_case_subjects, ops_cases


def cases_of_subject(store: Store, subject_id: str, limit: int = 200) -> list[dict[str, Any]]:
    s, c = ops_case_subjects.c, ops_cases.c
    q = (
        select(
            c.case_id,
            c.title,
            c.status.label("case_status"),
            c.opened_at,
            c.run_id,
            s.status.label("subject_status"),
            s.action_id,
        )
        .join(ops_cases, ops_cases.c.case_id == s.case_id)
        .where(s.subject_id == subject_id)
        .order_by(c.opened_at.desc(), c.case_id.desc())
        .limit(limit)
    )
    with store.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]
