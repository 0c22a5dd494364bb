"""Majority-vote labelling: the model's own most common answer as a label, and incorrect-label sets."""

from rlvrlab.labels.cluster import (
    LABEL_MODES,
    Cluster,
    Grader,
    LabelChoice,
    LabelMode,
    choose_label,
    cluster_answers,
    cluster_answers_naive,
)
from rlvrlab.labels.run import LabelOptions, run_labelling

__all__ = [
    "LABEL_MODES",
    "Cluster",
    "Grader",
    "LabelChoice",
    "LabelMode",
    "LabelOptions",
    "choose_label",
    "cluster_answers",
    "cluster_answers_naive",
    "run_labelling",
]
