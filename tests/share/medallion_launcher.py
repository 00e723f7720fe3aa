"""Start medallion (the OASIS TAXII 2.1 reference server) with one fix to its version lookup.

medallion 3.0's ``find_att`` reads an object's ``version`` property as its TAXII version timestamp before
``modified``/``created``. A STIX ``extension-definition`` has a ``version`` property of its own (``"1.0.0"``, the
extension's semantic version; STIX 2.1 section 7.3), so listing a collection that holds one fails with HTTP 500.
Manifest entries (which carry the TAXII ``version``) have no ``type``; STIX objects always do — so for an object
with a ``type`` the fix reads ``modified``/``created``/``_date_added`` as the specification means. Nothing else of
the server changes. Usage: ``python medallion_launcher.py --host H --port P CONFIG``.
"""

from __future__ import annotations

import medallion.backends.memory_backend as memory_backend
import medallion.common as common
import medallion.filters.basic_filter as basic_filter
from medallion.scripts.run import main

_original = common.find_att


def find_att(obj):
    if "type" in obj and "version" in obj:
        obj = {k: v for k, v in obj.items() if k != "version"}
    return _original(obj)


for module in (common, basic_filter, memory_backend):
    module.find_att = find_att

if __name__ == "__main__":
    main()
