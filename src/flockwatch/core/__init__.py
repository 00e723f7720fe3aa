"""The core layer: ONE definition per concept, used by every stage.

Each module owns one notion and renders it for both places it is needed — a Python function for row-at-a-time code
(watch, policy look-ups, disclosure) and a SQL expression for the engine (ingest, detection) — from one pattern or
one rule, so the two cannot drift; tests/core holds a contract test per concept that runs both renderings on the
same multilingual cases.

- :mod:`~flockwatch.core.text`     normalised text, hashtags, @mentions and URLs written in text (Unicode-aware)
- :mod:`~flockwatch.core.urls`     a URL's host, registrable domain, normalised URL
- :mod:`~flockwatch.core.stats`    Poisson tails and log-space Benjamini–Hochberg
- :mod:`~flockwatch.core.handles`  handle keys and name templates ("shapes")
- :mod:`~flockwatch.core.sql`      identifier and literal quoting
- :mod:`~flockwatch.core.runs`     "the latest run", members of a network
- :mod:`~flockwatch.core.records`  one platform record (a twarc2 tweet) → canonical rows
- :mod:`~flockwatch.core.resources` the memory and cores this process may use (its cgroup's caps, CPU affinity)

Nothing here imports a stage; stages import from here. Before writing a helper anywhere, look here first.
"""
