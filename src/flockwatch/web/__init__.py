"""The analyst console: a web application over one workspace (``flockwatch serve``).

Pages: the queue of candidate networks and operations, a network (graph, timeline, hour of week, working-hours
reading, top targets, narratives, the evidence of any link with its action ids and posts), an account, cases, the
state-media registry and the access log. Built in ``app.py`` (FastAPI, Jinja2, HTMX, Cytoscape.js vendored under
``static/``); reads the warehouse through snapshots (``snapshot.py``) so that it keeps serving while the workspace
is written; guards in ``security.py``; users through ``auth.py``.
"""

from flockwatch.web.app import create_app

__all__ = ["create_app"]
