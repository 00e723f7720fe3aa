"""The share tests import their scenario helpers by bare name (``tip_scenario``, ``taxii_server``)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
for p in (HERE, HERE.parent / "attribute"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
