"""Final-answer extraction from a model response; no grading happens here.

`paper` mode follows the paper's evaluation (Qwen2.5-Math toolkit) in its order:
1. Minerva: "final answer is $X$. I hope"
2. the last `\\boxed{...}` (or `\\fbox{...}`), brace-matched
3. "the answer is" / "The answer is" (matched as "he answer is", text after its last occurrence)
4. "final answer is" (text after its last occurrence)
5. the last number in the text (thousands separators removed)
`r1` mode reads the last `<answer>...</answer>` block (and the last box inside it, if any).
Returned strings are raw spans with newlines and a trailing "." or "/" removed; normalisation is
`normalize_answer`'s job.
`robust` mode reads responses that need not use a box: answer tags, boxes, "answer" anchors, a
final math environment, a bare answer, the last number, in a documented order (forms.py).
"""

from __future__ import annotations

import re
from typing import Literal

from rlvrlab.grading.forms import ROBUST_FORMS, AnswerForm, extract_robust, last_answer_block

ExtractMode = Literal["paper", "r1", "robust"]
EXTRACT_MODES: tuple[str, ...] = ("paper", "r1", "robust")

_LAST_NUMBER = re.compile(r"-?\d*\.?\d+")
_NEWLINE_RUN = re.compile(r"\n\s*")
_BOX_MARKERS = ("boxed", "\\fbox")


def _brace_matched_body(after: str) -> str:
    """Body of a `{...}` group starting at after[0] (unclosed: everything to the end)."""
    depth, body = 1, []
    for char in after[1:]:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                break
        body.append(char)
    return "".join(body)


def _last_box_marker(text: str) -> tuple[int, int] | None:
    """(position, length) of the last "boxed" or "\\fbox" in text, or None."""
    best: tuple[int, int] | None = None
    for marker in _BOX_MARKERS:
        position = text.rfind(marker)
        if position >= 0 and (best is None or position > best[0]):
            best = (position, len(marker))
    return best


def last_boxed_content(text: str) -> str | None:
    """Content of the last `\\boxed{...}`/`\\fbox{...}` (or `\\boxed X$` without braces); None if absent.

    An unclosed box returns everything after its brace, as the paper's extractor does.
    """
    marker = _last_box_marker(text)
    if marker is None:
        return None
    after = text[marker[0] + marker[1] :]
    if after.startswith("{"):
        return _brace_matched_body(after)
    return after.split("$")[0].strip()


def _paper_raw_answer(text: str) -> str:
    text = text.replace("\u043a\u0438", "")  # a step tag some datasets append; the paper strips it
    if "final answer is $" in text and "$. I hope" in text:
        return text.split("final answer is $", 1)[1].split("$. I hope", 1)[0].strip()
    boxed = last_boxed_content(text)
    if boxed is not None:
        return boxed
    for phrase in ("he answer is", "final answer is"):
        if phrase in text:
            return text.split(phrase)[-1].strip()
    return last_number(text.replace(",", ""))


_NUMBER_CHARS = frozenset("-.0123456789")


def last_number(text: str) -> str:
    """`_LAST_NUMBER.findall(text)[-1]` (or ""), without scanning the whole text with the regex.

    Every digit lies in some match, so the last match holds the last digit. No match contains a
    character outside "-.0-9", so the left-to-right scan restarts fresh just after the last such
    character before that digit: findall on the text from there yields the same last match, and
    every match ends with a digit, so nothing after the last digit needs scanning.
    (A regex scan of a 10,000-character response cost ~1 ms, most of paper grading's CPU time.)
    """
    last_digit = max(text.rfind(digit) for digit in "0123456789")
    if last_digit < 0:
        return ""
    start = last_digit
    while start > 0 and text[start - 1] in _NUMBER_CHARS:
        start -= 1
    return _LAST_NUMBER.findall(text, start, last_digit + 1)[-1]


def _r1_raw_answer(text: str) -> str:
    block = last_answer_block(text, unclosed=False)
    if block is None:
        return ""
    boxed = last_boxed_content(block)
    return boxed if boxed is not None else block.strip()


def clean_span(answer: str) -> str:
    """Join lines, drop a leading ':' and one trailing '.' and '/' (the paper's post-processing)."""
    answer = _NEWLINE_RUN.sub("", answer)
    if answer.startswith(":"):
        answer = answer[1:]
    if answer.endswith("."):
        answer = answer[:-1]
    if answer.endswith("/"):
        answer = answer[:-1]
    return answer


def extract_answer(
    text: str, mode: ExtractMode = "paper", forms: tuple[AnswerForm, ...] = ROBUST_FORMS
) -> str | None:
    """The final answer span of `text`, or None when the extractor finds nothing.

    `forms` (robust mode only) are the answer forms to trust, in priority order (forms.py).
    """
    if mode == "robust":
        return extract_robust(text, forms)
    if mode == "paper":
        raw = _paper_raw_answer(text)
    elif mode == "r1":
        raw = _r1_raw_answer(text)
    else:
        raise ValueError(f"unknown extraction mode {mode!r}; use one of {EXTRACT_MODES}")
    answer = clean_span(raw)
    return answer if answer.strip() else None
