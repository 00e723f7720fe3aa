"""Attribution: evidence about a candidate network and a hedged assessment of who is likely behind it.

- ``evidence``: collectors (infrastructure, timing, state-media amplification, narrative alignment, creation
  pattern) producing claims with evidence rows;
- ``state_media``: the reference of state-media handles and domains (the policy registry, or the analyst's lists);
- ``assessment``: :func:`attribute` → :class:`Attribution` (confidence low / moderate / high, rationale, what would
  change it).
"""

from flockwatch.attribute.assessment import Attribution, assess, attribute
from flockwatch.attribute.evidence import COLLECTORS, Claim
from flockwatch.attribute.state_media import StateMediaReference, from_lists, from_registry

__all__ = [
    "COLLECTORS",
    "Attribution",
    "Claim",
    "StateMediaReference",
    "assess",
    "attribute",
    "from_lists",
    "from_registry",
]
