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
post (``action_id``) is the unit, so a near-duplicate pair that shares several bands is one episode. A pure-Python
MinHash (datasketch) did not finish 200k posts in ten minutes; this runs as one aggregation per stage.

A post pair is also one *co-action* (``first_shared_slot``, kernel.py): each row carries its band number as
``slot`` and two 9-bit fingerprints of each of its text's bands 0..6 in ``slot_sig`` and ``slot_sig2``, and the
kernel keeps a co-action on band ``j`` only if ``j`` is the first band the two posts share (earlier bands where the
later post's row is in a hot cell aside, where the hot-cell rule may have dropped the pair). Without it two posts
co-acted once per shared band: on the hk2019 simulation at 1M actions 12.09M co-actions for 2.89M post pairs, 6.84M
of them between identical normalised texts (all 8 bands shared); with it 6.22M for the same post pairs and the same
edges. ``co_actions_count`` and ``mean_dt_s`` of an edge are therefore per post pair (except where the later post's
row is hot, kernel.py);
its episodes (distinct posts per side) are unchanged. The null model still counts band keys (calibration.py).
Documented, bounded effect: fingerprints are not the band key, so a post pair whose first shared band is ``j`` is
lost when at an earlier band its two different keys have both fingerprints equal, probability at most
``j / 260,099`` for the pair of texts (kernel.py). A band whose bins are all empty has no row (and fingerprint 0,
"no band"), so it is never shared and never hides a later one.

The target is the band key's ``fw_hash64`` written in decimal (at most 19 characters), not the key itself
("3:6=<min>,7=<min>", ~40 characters): the kernel copies, hashes and stores the target once per row (8 rows per
post); the hash is the same on every engine, so Spark finds the same targets, and two band keys collide with
probability ~ keys**2 / 2**61. Posts are joined to their text id first and to the bands on that integer: joining
the bands to the raw text first built a hash table of (raw text x 8 bands) rows on long string keys. Together these
took the SELECT from 13.0 to 9.9 CPU-s at 5M actions (hk2019 simulation), with the same edges.
"""

from flockwatch.core.text import normalised_text_sql
from flockwatch.detect.base import Detector, epoch_s
from flockwatch.detect.kernel import SLOT_FINGERPRINTS, slot_fingerprint_sql
from flockwatch.errors import ValidationError


def _sql(p):
    norm = normalised_text_sql("text")
    k = int(p["shingle_chars"])
    bins = int(p["bins"])
    r = int(p["rows_per_band"])
    bands = bins // r
    if not 1 <= bands <= SLOT_FINGERPRINTS + 1:
        raise ValidationError(
            f"co_near_text needs 1 to {SLOT_FINGERPRINTS + 1} bands (bins // rows_per_band), got {bands}: a post's "
            "bands are its slots (kernel.py, First shared slot)"
        )
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
), band_hash AS (
  SELECT tid, CAST(band AS INTEGER) AS slot,
         fw_hash64(CAST(band AS VARCHAR) || ':' || concat_ws(',', {key_parts})) AS h
  FROM band_mins WHERE band < {bands}
), sigs AS (
  SELECT tid, CAST(sum({slot_fingerprint_sql("h", "slot", "slot_sig")}) AS BIGINT) AS slot_sig,
         CAST(sum({slot_fingerprint_sql("h", "slot", "slot_sig2")}) AS BIGINT) AS slot_sig2
  FROM band_hash GROUP BY tid
), bands AS MATERIALIZED (
  SELECT band_hash.tid, CAST(band_hash.h AS VARCHAR) AS target, band_hash.slot, sigs.slot_sig, sigs.slot_sig2
  FROM band_hash JOIN sigs ON band_hash.tid = sigs.tid
), post_tid AS MATERIALIZED (
  SELECT posts.account_id, posts.acted_at_s, posts.action_id, keyed.tid
  FROM posts JOIN keyed ON posts.text = keyed.text
)
SELECT post_tid.account_id, bands.target, post_tid.action_id AS unit, post_tid.acted_at_s, post_tid.action_id,
       bands.slot, bands.slot_sig, bands.slot_sig2
FROM post_tid JOIN bands ON post_tid.tid = bands.tid"""


DETECTOR = Detector(
    name="co_near_text",
    description="Published near-duplicate text (character-shingle MinHash LSH) within the window.",
    build_sql=_sql,
    first_shared_slot=True,
    default_params={
        "window_s": 300.0,
        "min_text_chars": 25,
        "shingle_chars": 4,
        "bins": 16,
        "rows_per_band": 2,
    },
    attach_cells=False,
)
