"""`rlvr grade`: option checks, then `files.grade_jsonl` (cli.py stays a thin layer)."""

from __future__ import annotations

from pathlib import Path

from rlvrlab.grading.extract import EXTRACT_MODES
from rlvrlab.grading.files import GradeSummary, grade_jsonl
from rlvrlab.grading.forms import ROBUST_FORMS
from rlvrlab.grading.verify import GRADING_MODES


def run_grade(
    input_path: Path, out: Path, mode: str, extract_mode: str | None, forms: str | None, timeout: float
) -> GradeSummary:
    """Check the options (ValueError with a one-line message), then grade the file."""
    if mode not in GRADING_MODES:
        raise ValueError(f"--mode must be one of {'|'.join(GRADING_MODES)}, got {mode!r}")
    if extract_mode is not None and extract_mode not in EXTRACT_MODES:
        raise ValueError(f"--extract must be one of {'|'.join(EXTRACT_MODES)}, got {extract_mode!r}")
    chosen = tuple(form.strip() for form in forms.split(",")) if forms else ROBUST_FORMS
    unknown = [form for form in chosen if form not in ROBUST_FORMS]
    if unknown:
        raise ValueError(f"--forms: unknown form(s) {unknown}; choose from {','.join(ROBUST_FORMS)}")
    if forms and (extract_mode or mode) != "robust":
        raise ValueError("--forms applies to robust extraction: add --extract robust (or --mode robust)")
    return grade_jsonl(input_path, out, mode, extract_mode, timeout, chosen)  # type: ignore[arg-type]
