"""``co_near_text``: accounts that publish near-duplicate text within the window, in any script.

Consumes ``actions`` of kind post, reply or quote with text. Computed inside the engine, not in Python:

1. normalise the text (core.text) and keep distinct texts of at least ``min_text_chars`` characters;
2. cut each into character shingles of ``shingle_chars`` characters — characters, not words, so Chinese (no spaces)
   works like English or Swedish;
3. one-permutation MinHash (Li, Owen & Zhang, NIPS 2012): hash every shingle once (``fw_hash64``, the same
   value on every engine, so DuckDB and Spark find the same bands), split the hash space into
   ``bins`` bins by ``hash % bins`` and keep the minimum per bin; this costs one hash per shingle instead of one per
   shingle and permutation;
4. banded LSH (Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3): ``rows_per_band`` consecutive bins
   form a band; the band key ``(band, its filled bins and their mins)`` is the target. Two texts of Jaccard
   similarity J share at least one band with probability ~ ``1 - (1 - J**r)**b``. An empty bin (short texts: 30
   shingles leave each of 16 bins empty with probability 0.14) is part of the key, not a reason to drop the band:
   near-duplicates share their empty bins, and dropping such bands cost a quarter of the bands of short texts
   (measured: two of ten near-duplicate pairs of 33-character Chinese posts missed).

Step 1 runs once per distinct raw text (posts repeat their text, and the regular expressions of the normalisation
cost more than joining the posts back on the raw text); its result and the shingle hashes are ``MATERIALIZED`` CTEs,
because DuckDB otherwise inlines the expression into each use of the column (the normalisation ran once for the
length filter and again for the key; MD5 once for the bin and again for the minimum). Spark drops the hint. Texts are keyed by a 64-bit hash of the normalised text from
step 2 on (grouping millions of shingle rows by the text itself hashed the whole string at every step; a collision of
two texts, probability ~ texts**2 / 2**65, can at most merge their bands). The band key is the kernel's target; the
post (``action_id``) is the unit, so a near-duplicate pair that shares several bands counts once. A pure-Python
MinHash (datasketch) did not finish 200k posts in ten minutes; this runs as one aggregation per stage.

The target is the band key's ``fw_hash64`` written in decimal (at most 19 characters), not the key itself
("3:6=<min>,7=<min>", ~40 characters): the kernel copies, hashes and stores the target once per row (8 rows per
post); the hash is the same on every engine, so Spark finds the same targets, and two band keys collide with
probability ~ keys**2 / 2**61. Posts are joined to their text id first and to the bands on that integer: joining
the bands to the raw text first built a hash table of (raw text x 8 bands) rows on long string keys. Together these
took the SELECT from 13.0 to 9.9 CPU-s at 5M actions (hk2019 simulation), with the same edges.
"""

from flockwatch.core.text import normalised_text_sql
from flockwatch.detect.base import Detector, epoch_s


def _sql(p):
    norm = normalised_text_sql("text")
    k = int(p["shingle_chars"])
    bins = int(p["bins"])
    r = int(p["rows_per_band"])
    # per band, the min of each of its r bins (NULL: empty bin) in one aggregation, then the key "bin=min,..." of
    # the filled bins in bin order (concat_ws skips NULLs): the same key a string_agg over (tid, bin) minima gives,
    # without a second grouping and an ordered string aggregate
    band_mins = ", ".join(f"min(CASE WHEN bin % {r} = {j} THEN m END) AS m{j}" for j in range(r))
    key_parts = ", ".join(
        f"CASE WHEN m{j} IS NOT NULL THEN CAST(band * {r} + {j} AS VARCHAR) || '=' || CAST(m{j} AS VARCHAR) END"
        for j in range(r)
    )
    return f"""
WITH posts AS (
  SELECT account_id, text, {epoch_s()} AS acted_at_s, action_id
  FROM actions
  WHERE kind IN ('post', 'reply', 'quote') AND text IS NOT NULL AND acted_at IS NOT NULL
), normed AS MATERIALIZED (
  SELECT text, {norm} AS nt FROM (SELECT DISTINCT text FROM posts)
), keyed AS (
  SELECT text, hash(nt) AS tid, nt FROM normed WHERE length(nt) >= {int(p["min_text_chars"])}
), texts AS (
  SELECT tid, any_value(nt) AS nt FROM keyed GROUP BY tid
), cut AS (
  SELECT tid, substr(nt, i, {k}) AS sh
  FROM (SELECT tid, nt, unnest(range(1, length(nt) - {k} + 2)) AS i FROM texts)
), sh_hash AS MATERIALIZED (
  SELECT sh, fw_hash64(sh) AS h FROM (SELECT DISTINCT sh FROM cut)
), shingles AS (
  SELECT cut.tid, CAST(sh_hash.h % {bins} AS BIGINT) AS bin, sh_hash.h // {bins} AS m
  FROM cut JOIN sh_hash ON cut.sh = sh_hash.sh
), band_mins AS (
  SELECT tid, bin // {r} AS band, {band_mins} FROM shingles GROUP BY tid, bin // {r}
), bands AS MATERIALIZED (
  SELECT tid, CAST(fw_hash64(CAST(band AS VARCHAR) || ':' || concat_ws(',', {key_parts})) AS VARCHAR) AS target
  FROM band_mins WHERE band < {bins // r}
), post_tid AS MATERIALIZED (
  SELECT posts.account_id, posts.acted_at_s, posts.action_id, keyed.tid
  FROM posts JOIN keyed ON posts.text = keyed.text
)
SELECT post_tid.account_id, bands.target, post_tid.action_id AS unit, post_tid.acted_at_s, post_tid.action_id
FROM post_tid JOIN bands ON post_tid.tid = bands.tid"""


DETECTOR = Detector(
    name="co_near_text",
    description="Published near-duplicate text (character-shingle MinHash LSH) within the window.",
    build_sql=_sql,
    default_params={
        "window_s": 300.0,
        "min_text_chars": 25,
        "shingle_chars": 4,
        "bins": 16,
        "rows_per_band": 2,
    },
    attach_cells=False,
)
