"""Detection: detectors map actions to shared targets; one kernel turns co-actions into calibrated edges.

Public names: :func:`detect`, :class:`DetectionRun`, :data:`DETECTORS`, :func:`cnt_co_retweet` (parity mode).
See ``base.py`` for the detector contract, ``kernel.py`` for the co-action join, ``calibration.py`` for the null model.
"""

from flockwatch.detect.base import DETECTOR_COLUMNS, SLOT_COLUMNS, Detector
from flockwatch.detect.parity import cnt_co_retweet
from flockwatch.detect.registry import DEFAULT_DETECTORS, DETECTORS, get
from flockwatch.detect.run import DetectionRun, DetectorResult, detect

__all__ = [
    "DEFAULT_DETECTORS",
    "DETECTORS",
    "DETECTOR_COLUMNS",
    "SLOT_COLUMNS",
    "DetectionRun",
    "Detector",
    "DetectorResult",
    "cnt_co_retweet",
    "detect",
    "get",
]
