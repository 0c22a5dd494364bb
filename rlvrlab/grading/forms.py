"""Robust-mode answer extraction: the final answer of a response that may not use `\\boxed{}`.

Models and prompts that do not follow Qwen's `\\boxed{}` habit (Llama, OLMo, R1-style, a user's own)
end with "The answer is 34.", "Final Answer: The largest $n$ is 34.", `\\(x = 5\\)`, `<answer>4</answer>`
or just the answer. Each way of stating an answer is a *form*; `extract_robust` tries the forms in
`ROBUST_FORMS` order and the first that finds an answer wins:

1. "answer_tag": the last `<answer>...</answer>` block (R1 template). A last `<answer>` without its
   closing tag runs to the end: generation stops at "</answer>" and the stop string is not returned.
   Inside the block a box wins, then an anchor, then a math environment, else the block's text.
2. "boxed": the last `\\boxed{...}` / `\\fbox{...}`, brace-matched (a box holding a sentence with
   math or an anchor is read again with forms 3-4). Decision: an unclosed last box
   (`\\boxed{12`: the response was cut off inside it) is NO answer in robust mode, and no later form
   is tried: its content may be incomplete (`\\boxed{125}` cut after "12"). Paper mode keeps the
   paper's reading (everything after the brace).
3. "final_answer": the text after the last "answer" anchor ("The final answer is", "Answer:",
   "the answer to part (a) is", "The correct option is"), to the end of its line and sentence: a math environment there,
   else what follows a last " is " ("Final Answer: The largest $n$ is 34." gives 34), else a
   leading number (with a percent word: "28 percent"), else the text (`ANCHOR_MAX_CHARS` at most).
4. "math": the last math environment (`$..$`, `$$..$$`, `\\(..\\)`, `\\[..\\]`) when it ends the
   response (only punctuation after it, or up to `MATH_TRAILING_WORDS` words: "$12$ square units."). Environments joined by "and", "or" or "," are read as a
   list ("$x=2$ or $x=3$" gives "2, 3"), and an equation whose left side is a name ("$V = 65$",
   "$\\sin T = \\frac{1}{2}$") or a chain ("$a = 2+3 = 5$") gives its last side.
5. "bare": a short one-line response (`BARE_MAX_CHARS`): its only math environment ("$\\frac{1}{2}$ is
   the probability."), or all of it when it is no sentence (no word of two or more letters outside
   LaTeX commands, or one that is the whole answer or follows a number, or number words): "x >= 5",
   "28 percent", "Carla", "½", "twenty-one";
   "x = 2 or x = -2" is the list "2, -2".
6. "last_number": the last number of the response (the paper's last resort), thousands
   separators kept together ("1,000"), or the fraction it ends ("is 1/3.", "it's \\frac{1}{2}").

Forms 4-5 (and 6's fractions) read text that no marker vouches for, so they are not tried on a
response that ends in a repetition loop (its last `LOOP_TAIL_CHARS` characters occur `LOOP_MIN_REPEATS` times or more): a
base model restating the problem until its length limit has given no answer, and the problem's own
expression (which Math-Verify takes, and which often evaluates to the gold) is not one.
A caller that trusts only some forms passes them: `extract_robust(text, forms=("answer_tag", "boxed"))`.
Every step is a scan or a regex without nested quantifiers: linear in the response's length.
"""

from __future__ import annotations

import re
from typing import Literal

from rlvrlab.grading.normalize import words_to_number

AnswerForm = Literal["answer_tag", "boxed", "final_answer", "math", "bare", "last_number"]
ROBUST_FORMS: tuple[AnswerForm, ...] = ("answer_tag", "boxed", "final_answer", "math", "bare", "last_number")
LOOP_SKIPPED_FORMS = frozenset({"math", "bare"})  # not tried on a response ending in a loop
LOOP_TAIL_CHARS = 40
LOOP_MIN_REPEATS = 3
BARE_MAX_CHARS = 120
ANCHOR_MAX_CHARS = 120
MAX_JOINED_ENVIRONMENTS = 8

_ANCHOR_WORDS = ("answer", "option", "choice")
_ANCHOR = re.compile(
    r"(?i)(?:answer|option|choice)\b(?:\s+(?:to|for|of)\b[^\n:=]{0,60}?)?[ \t]*(?:\*\*)?[ \t]*"
    r"(?:is|are|was|will\s+be|should\s+be|:|=)(?:[ \t]*(?:\*\*)?[ \t]*:)?(?:\*\*)?"
)
_MATH_DELIMITER = re.compile(r"(?<!\\)\$\$|(?<!\\)\$|\\\(|\\\)|\\\[|\\\]")
_CLOSER = {"$$": "$$", "$": "$", "\\(": "\\)", "\\[": "\\]"}
_CLOSERS = ("$", "\\)", "\\]")
_TAIL_CHECK_CHARS = 80
_TRAILING_PUNCTUATION = " \t\r\n.,;:!?)*"
MATH_TRAILING_WORDS = 3  # "$\\frac{\\pi}{4}$ radians.", "$12$ square units." still end with their math
_WORDS_AFTER_CLOSER = re.compile(
    rf"(?:\$|\\\)|\\\])[\s.,;:!?)*]*[A-Za-z]+(?:[ \t]+[A-Za-z]+){{0,{MATH_TRAILING_WORDS - 1}}}$"
)
_TRAILING_WORDS = re.compile(rf"[A-Za-z]+(?:[ \t]+[A-Za-z]+){{0,{MATH_TRAILING_WORDS - 1}}}")
_JOINER = re.compile(r"\s*(?:,\s*(?:and|or)?|and|or)\s*")
_SENTENCE_END = re.compile(r"\.(?=\s|$)")
_LAST_IS = re.compile(r"\s(?:is|are|equals|be)\s")
_LEADING_NUMBER = re.compile(
    r"[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*(?:\\?%|percent(?:age)?|pct)\b|\s*\\?%)?"
)
_FRAC_AT_END = re.compile(r"-?\\[dt]?frac\{-?\d+\}\{\d+\}$")
_SLASH_AT_END = re.compile(r"(?<![\d.])-?\d+\s*/\s*\d+$")
_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\.\d+")
_NUMBER_CHARS = frozenset("0123456789.,-")
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")
_LIST_JOINER = re.compile(r"\s+(?:or|and)\s+|,\s*(?:or\s+|and\s+)?")
_NAMED_VALUE = re.compile(r"[A-Za-z]\s*=\s*([^=]+)")
_PLAIN_NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)")
_COMMAND = re.compile(r"\\[A-Za-z]+(?:\{[A-Za-z |]*\})*")  # "\\text{cm}", "\\begin{pmatrix}": no words
_SIMPLE_LEFT_SIDE = re.compile(r"[^+\-*/^=<>,]{1,24}")
_TOP_LEVEL_EQUALS = re.compile(r"(?<![<>!\\=])=(?!=)")
_OPEN_TAG, _CLOSE_TAG = "<answer>", "</answer>"
_BOX_MARKERS = ("\\boxed", "\\fbox")


class _Unclosed(Exception):
    """The last box is not closed: the response was cut off inside its answer."""


def ends_in_loop(text: str) -> bool:
    """The response's last `LOOP_TAIL_CHARS` characters occur `LOOP_MIN_REPEATS`+ times in it."""
    stripped = text.rstrip()
    if len(stripped) < LOOP_TAIL_CHARS * LOOP_MIN_REPEATS:
        return False
    return stripped.count(stripped[-LOOP_TAIL_CHARS:]) >= LOOP_MIN_REPEATS


def closed_box(text: str) -> str | None:
    """Content of the last `\\boxed{..}`/`\\fbox{..}` (or `\\boxed X`); raises _Unclosed if cut off."""
    position, marker = max((text.rfind(m), m) for m in _BOX_MARKERS)
    if position < 0:
        return None
    after = text[position + len(marker) :]
    if not after.startswith("{"):
        if after[:1] == " " and after.strip():  # "\\boxed 5": up to a dollar or the end of the line
            return after.strip().split("$")[0].split("\n")[0].strip() or None
        return None
    depth = 0
    for index, char in enumerate(after):
        depth += (char == "{") - (char == "}")
        if depth == 0:
            return after[1:index]
    raise _Unclosed


def _environments(text: str) -> list[tuple[int, int, int, int]]:
    """(start, content start, content end, end) of every closed math environment, in order."""
    found, opener, opened_at, content_at = [], None, 0, 0
    for match in _MATH_DELIMITER.finditer(text):
        token = match.group()
        if opener is None:
            if token in _CLOSER:
                opener, opened_at, content_at = token, match.start(), match.end()
        elif token == _CLOSER[opener]:
            found.append((opened_at, content_at, match.start(), match.end()))
            opener = None
    return found


def _last_side(content: str) -> str:
    """The answer an equation states: "V = 65" -> "65", "a = 2+3 = 5" -> "5"; else the content
    (also a list of equations, "a = 2, b = 3", which the grader reads as a whole)."""
    if "," in content:
        return content.strip()
    sides = _TOP_LEVEL_EQUALS.split(content)
    if len(sides) < 2 or not sides[-1].strip():
        return content.strip()
    if len(sides) >= 3 or _SIMPLE_LEFT_SIDE.fullmatch(sides[0].strip()):
        return sides[-1].strip()
    return content.strip()


def _joined_environments(text: str, environments: list[tuple[int, int, int, int]]) -> str:
    """The last environment, with the ones joined to it by "and"/"or"/"," before it, as a list."""
    parts = [environments[-1]]
    for previous in reversed(environments[:-1]):
        if len(parts) >= MAX_JOINED_ENVIRONMENTS or not _JOINER.fullmatch(text[previous[3] : parts[0][0]]):
            break
        parts.insert(0, previous)
    answers = [_last_side(text[start:end]) for _, start, end, _ in parts]
    return ", ".join(answer.strip().rstrip(".,") for answer in answers)


def _final_math(text: str) -> str | None:
    tail = text.rstrip(" \t\r\n.,;:!?*")[-_TAIL_CHECK_CHARS:]
    if not (tail.endswith(_CLOSERS) or _WORDS_AFTER_CLOSER.search(tail)):
        return None  # nothing closes a math environment at the end: no need to scan the response
    environments = _environments(text)
    if not environments:
        return None
    after = text[environments[-1][3] :].strip(_TRAILING_PUNCTUATION)
    if after and not _TRAILING_WORDS.fullmatch(after):
        return None
    return _joined_environments(text, environments) or None


def _plain_answer(span: str) -> str | None:
    """The answer in a plain-text span after an anchor: a leading number (with its percent word)
    when words follow it ("42 inches"), else the span."""
    span = span.strip().strip("*").strip().rstrip(".").strip()
    if not span or len(span) > ANCHOR_MAX_CHARS:
        return None
    number = _LEADING_NUMBER.match(span)
    if number and _WORD.search(span[number.end() :]) and not span[number.end() :].lstrip().startswith("\\"):
        return number.group().strip()
    return span


def _last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    found = None
    for found in pattern.finditer(text):  # noqa: B007 - the last one is wanted
        pass
    return found


def _last_anchor(text: str) -> re.Match[str] | None:
    """The last anchor ("answer is", "Answer:", "option is" ...), searched from the end: most responses
    are long and their anchor, if any, is near the end. Each word's rfind only moves left: linear."""
    lower = text.lower()
    positions = {word: lower.rfind(word) for word in _ANCHOR_WORDS}
    while True:
        word = max(positions, key=lambda w: positions[w])
        position = positions[word]
        if position < 0:
            return None
        if position == 0 or not lower[position - 1].isalnum():
            match = _ANCHOR.match(text, position)
            if match is not None:
                return match
        positions[word] = lower.rfind(word, 0, position)


def _anchored(text: str) -> str | None:
    match = _last_anchor(text)
    if match is None:
        return None
    span = text[match.end() :].lstrip(" \t*:\n")
    environments = _environments(span)
    if environments and not span[: environments[0][0]].strip(" \t*:"):
        first = [environments[0]]  # the span starts with math: that (and what it is joined to) is the answer
        for environment in environments[1:]:
            if not _JOINER.fullmatch(span[first[-1][3] : environment[0]]):
                break
            first.append(environment)
        return _joined_environments(span, first)
    span = span.split("\n", 1)[0]
    end = _SENTENCE_END.search(span)
    span = span[: end.start()] if end else span
    is_match = None
    if match.group().rstrip("* \t").endswith(":"):  # "Final Answer: The largest $n$ is 34."
        is_match = _last_match(_LAST_IS, span)
    if is_match is not None:
        span = span[is_match.end() :]
    environments = _environments(span)
    if environments:
        return _joined_environments(span, environments)
    return _plain_answer(span)


def _bare(text: str) -> str | None:
    stripped = text.strip().rstrip(".").strip()
    if not stripped or len(stripped) > BARE_MAX_CHARS:
        return None
    environments = _environments(stripped)
    if len(environments) == 1 and "\n" not in stripped:  # "$\\frac{1}{2}$ is the probability."
        return _joined_environments(stripped, environments)
    if environments:
        return None  # several math environments in a short text: "math" (or nothing) decides
    parts = _LIST_JOINER.split(stripped)
    values = [_NAMED_VALUE.fullmatch(part.strip()) or _PLAIN_NUMBER.fullmatch(part.strip()) for part in parts]
    if len(parts) > 1 and all(values):  # "x = 2 or x = -2" -> "2, -2"; "1 and 2" -> "1, 2"
        return ", ".join(value.group(1).strip() for value in values if value)
    words = _WORD.findall(_COMMAND.sub(" ", stripped))
    sentence = len(words) > 1 or (words and words[0] != stripped and not _LEADING_NUMBER.match(stripped))
    if sentence and words_to_number(stripped) == stripped:
        return None  # "so 10/2 = 5", "ratio 3/4": words around the answer (a unit after a number is fine)
    return _plain_answer(stripped)


def _last_number(text: str, fractions: bool = True) -> str | None:
    """The last number ("1,000" whole), or (`fractions`) the fraction it ends; scans only around the last
    digit. In a repetition loop only the number: the fraction would be the problem's own."""
    last_digit = max(text.rfind(digit) for digit in "0123456789")
    if last_digit < 0:
        return None
    start = last_digit
    while start > 0 and text[start - 1] in _NUMBER_CHARS:
        start -= 1
    fraction = fractions and (
        _FRAC_AT_END.search(text, max(0, last_digit - 80), last_digit + 2)
        or _SLASH_AT_END.search(text, max(0, last_digit - 80), last_digit + 1)
    )
    if fraction:  # "the probability is 1/3.", "it's \\frac{1}{2}": the fraction, not its denominator
        return fraction.group().strip()
    numbers = _NUMBER.findall(text, start, last_digit + 1)
    return numbers[-1] if numbers else None


def last_answer_block(text: str, unclosed: bool = True) -> str | None:
    """Content of the last `<answer>...</answer>` (two rfinds: linear even for "<answer>" * 10**5).

    `unclosed`: a last `<answer>` with no closing tag after it runs to the end of the text.
    """
    opened, closed = text.rfind(_OPEN_TAG), text.rfind(_CLOSE_TAG)
    if unclosed and opened > closed:
        return text[opened + len(_OPEN_TAG) :]
    start = text.rfind(_OPEN_TAG, 0, closed) if closed >= 0 else -1
    return None if start < 0 else text[start + len(_OPEN_TAG) : closed]


def _answer_tag(text: str) -> str | None:
    block = last_answer_block(text)
    if block is None:
        return None
    return _first_answer(block, ("boxed", "final_answer", "math")) or block.strip() or None


def _boxed(text: str) -> str | None:
    """The last closed box; a box holding a sentence ("\\boxed{Final Answer: $n$ is 34.}") is read again."""
    content = closed_box(text)
    if content is not None and ("$" in content or "\\(" in content or _last_anchor(content)):
        return _first_answer(content, ("final_answer", "math")) or content
    return content


_READERS = {"boxed": _boxed, "final_answer": _anchored, "math": _final_math, "bare": _bare}


def _first_answer(text: str, forms: tuple[str, ...], loop: bool = False) -> str | None:
    for form in forms:
        if form == "answer_tag":
            answer = _answer_tag(text)
        elif form == "last_number":
            answer = _last_number(text, fractions=not loop)
        else:
            answer = _READERS[form](text)
        if answer is not None and answer.strip():
            return answer.strip()
    return None


def extract_robust(text: str, forms: tuple[AnswerForm, ...] = ROBUST_FORMS) -> str | None:
    """The final answer of `text` by the first of `forms` that finds one (see the module doc), or None."""
    unknown = set(forms) - set(ROBUST_FORMS)
    if unknown:
        raise ValueError(f"unknown answer form(s) {sorted(unknown)}; choose from {ROBUST_FORMS}")
    text = text.replace("\x00", "")
    loop = ends_in_loop(text)
    if loop:
        forms = tuple(form for form in forms if form not in LOOP_SKIPPED_FORMS)
    try:
        return _first_answer(text, forms, loop)
    except _Unclosed:
        return None
