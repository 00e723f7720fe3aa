"""SQL expression builders shared across rooms (DuckDB dialect; SQLGlot can transpile them).

Consumes SQL expressions as text; produces SQL expressions as text. One definition per notion, so ingest (which
stores ``action_urls.domain``) and detection (which falls back to the URL when a source gave no domain) agree on
what "the domain of a URL" is.
"""

from __future__ import annotations


def url_host_sql(url: str) -> str:
    """Lower-cased host of a URL without ``www.``/``www2.``; a scheme-less ``host/path`` and ``user@host`` work too.
    NULL when there is no host."""
    host = f"regexp_extract(lower(trim({url})), '^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/?#]*@)?([^/:?#\\s]+)', 1)"
    return f"nullif(regexp_replace({host}, '^www[0-9]*\\.', ''), '')"
