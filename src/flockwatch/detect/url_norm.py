"""SQL expressions that normalise URLs and domains for ``co_link`` and ``co_domain``.

Consumes SQL expressions for a URL / host; produces expressions for their normalised forms: lower case, no scheme,
no ``www.``, no fragment, no ``utm_*`` tracking parameters, no trailing slash — so that the same page shared with
different tracking tails is one target.
"""

from flockwatch.engine.expressions import url_host_sql


def normalised_url_sql(url_sql: str = "url") -> str:
    x = f"lower(trim({url_sql}))"
    x = f"regexp_replace({x}, '^[a-z]+://', '')"
    x = f"regexp_replace({x}, '^www[0-9]*\\.', '')"
    x = f"regexp_replace({x}, '#.*$', '')"
    x = f"regexp_replace({x}, '([?&])utm_[^&]*&?', '\\1', 'g')"
    x = f"regexp_replace({x}, '[?&/]+$', '')"
    return x


def normalised_domain_sql(domain_sql: str = "domain", url_sql: str = "url") -> str:
    given = f"regexp_replace(nullif(lower(trim({domain_sql})), ''), '^www[0-9]*\\.', '')"
    return f"coalesce({given}, {url_host_sql(url_sql)})"
