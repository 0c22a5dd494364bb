"""Load problems from shipped benchmark files, local files or the HF hub into one row type.

Every source ends up as a list of `Problem` rows {id, problem, answer, source, extra}. Bad input raises
`DataError` (a ValueError) naming the file, the line or row and the field: never a bare KeyError.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

LOCAL_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".parquet")


class DataError(ValueError):
    """Bad input data; the message names the file and line/row and the field."""


@dataclass(frozen=True)
class Problem:
    """One math problem. `answer` is the gold answer string; None only for label-only files
    (majority-vote label sets carry `label` instead). Unknown fields are kept in `extra`."""

    id: str
    problem: str
    answer: str | None
    source: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "problem": self.problem,
            "answer": self.answer,
            "source": self.source,
            **self.extra,
        }


def shipped_dir(kind: str = "benchmarks") -> Path:
    """Folder of data shipped inside the package: "benchmarks" (benchmarks, DeepScaleR, sim sets) or
    "labels" (the paper's majority-vote label samples, {id, problem, label})."""
    return Path(str(resources.files("rlvrlab.data") / kind))


def shipped_names() -> list[str]:
    names = []
    for kind in ("benchmarks", "labels"):
        for path in sorted(shipped_dir(kind).iterdir()):
            for suffix in (".jsonl.gz", ".jsonl"):
                if path.name.endswith(suffix):
                    names.append(path.name[: -len(suffix)])
    return names


def _shipped_path(name: str) -> Path | None:
    for kind in ("benchmarks", "labels"):
        for suffix in (".jsonl", ".jsonl.gz"):
            path = shipped_dir(kind) / f"{name}{suffix}"
            if path.exists():
                return path
    return None


def load_problems(name_or_path: str, *, limit: int | None = None, split: str = "train") -> list[Problem]:
    """Load a data set by shipped name (math500, aime24, aime25, amc, deepscaler, sim500, ...), local
    .json/.jsonl/.jsonl.gz/.parquet path, or HF hub dataset id (needs network; `split` picks the split)."""
    if limit is not None and limit < 1:
        raise DataError(f"limit must be >= 1 (or none for every problem), got {limit}")
    shipped = _shipped_path(name_or_path)
    if shipped is not None:
        rows = _records_from_file(shipped)
        source_default = name_or_path
    elif Path(name_or_path).exists():
        path = Path(name_or_path)
        if path.is_dir() or not path.name.endswith(LOCAL_SUFFIXES):
            raise DataError(f"{path}: not a data file; expected one of {', '.join(LOCAL_SUFFIXES)}")
        rows = _records_from_file(path)
        source_default = path.stem
    elif name_or_path.endswith(LOCAL_SUFFIXES):
        raise DataError(f"{name_or_path}: file not found")
    else:
        rows = _records_from_hub(name_or_path, split)
        source_default = name_or_path
    problems = []
    for where, record in rows:
        problems.append(_to_problem(record, where, source_default))
        if limit is not None and len(problems) >= limit:
            break
    if not problems:
        raise DataError(f"{name_or_path}: no rows (empty file or split)")
    _check_unique_ids(problems, name_or_path)
    return problems


def _records_from_file(path: Path) -> Iterator[tuple[str, Any]]:
    """Yield (location, record) where location is 'file:line' or 'file:row N' for error messages."""
    name = path.name
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        for i, record in enumerate(pq.read_table(path).to_pylist()):
            yield f"{path}: row {i}", record
        return
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        if name.endswith(".json"):
            yield from _records_from_json(path, decode_utf8(handle.read(), path))
            return
        for lineno, raw in enumerate(handle, start=1):
            line = decode_utf8(raw, path, first_line=lineno)
            if not line.strip():
                continue
            try:
                yield f"{path}:{lineno}", json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(
                    f"{path}:{lineno}: malformed JSON ({err.msg} at character {err.pos + 1})"
                ) from None


def decode_utf8(data: bytes, path: Path | str, first_line: int = 1) -> str:
    """`data` as UTF-8 text, or a DataError naming the file and line of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = first_line + data.count(b"\n", 0, err.start)
        raise DataError(
            f"{path}:{line}: not UTF-8 text (byte {data[err.start]:#04x}); save the file as UTF-8"
        ) from None


def _records_from_json(path: Path, text: str) -> Iterator[tuple[str, Any]]:
    if not text.strip():
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(f"{path}:{err.lineno}: malformed JSON ({err.msg} at column {err.colno})") from None
    if isinstance(data, dict):  # {"data": [...]} or {"rows": [...]} style files
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise DataError(f"{path}: expected a JSON list of rows or an object holding one list of rows")
        data = lists[0]
    if not isinstance(data, list):
        raise DataError(f"{path}: expected a JSON list of rows")
    for i, record in enumerate(data):
        yield f"{path}: row {i}", record


def _records_from_hub(dataset_id: str, split: str) -> Iterator[tuple[str, Any]]:
    import datasets

    try:
        table = datasets.load_dataset(dataset_id, split=split)
    except Exception as err:  # offline, missing dataset, bad split: say what was tried
        raise DataError(
            f"{dataset_id}: not a shipped name ({', '.join(shipped_names())}), not a local file, and "
            f"could not be loaded from the HF hub (split={split!r}): {err}"
        ) from None
    for i, record in enumerate(table):
        yield f"{dataset_id}[{split}]: row {i}", record


def _to_problem(record: Any, where: str, source_default: str) -> Problem:
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected a JSON object, got {type(record).__name__}")
    problem = record.get("problem", record.get("question"))
    if not isinstance(problem, str) or not problem.strip():
        raise DataError(f"{where}: missing or empty field 'problem'")
    answer = record.get("answer", record.get("solution_answer"))
    if answer is None and "label" not in record:
        raise DataError(f"{where}: missing field 'answer' (or 'label' for label-only sets)")
    if answer is not None and not isinstance(answer, str | int | float):
        raise DataError(f"{where}: field 'answer' must be a string or number, got {type(answer).__name__}")
    known = {"id", "problem", "question", "answer", "solution_answer", "source"}
    extra = {k: v for k, v in record.items() if k not in known}
    row_id = record.get("id", where.rsplit(":", 1)[-1].strip().removeprefix("row "))
    return Problem(
        id=str(row_id),
        problem=problem,
        answer=None if answer is None else str(answer),
        source=str(record.get("source", source_default)),
        extra=extra,
    )


def _check_unique_ids(problems: Iterable[Problem], name: str) -> None:
    seen: set[str] = set()
    for p in problems:
        if p.id in seen:
            raise DataError(
                f"{name}: duplicate id {p.id!r} (ids key results and resumes, so they must be unique)"
            )
        seen.add(p.id)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write rows as JSONL (whole file). For append-as-you-go results use `append_jsonl`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def append_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Append rows and flush, so an interrupted job loses at most the rows of the current batch.

    A half-written last line (a job killed mid-write) is cut first, so new rows never fuse with it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        drop_torn_tail(path)
    with open(path, "a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        handle.flush()


def drop_torn_tail(path: Path) -> None:
    """Cut a half-written last line (killed mid-write) so the next appended row starts a line of its own."""
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        data = handle.seek(0) or handle.read()
    keep = data.rfind(b"\n") + 1
    logger.warning("%s: dropping a torn last line (%d bytes) before appending", path, size - keep)
    with open(path, "r+b") as handle:
        handle.truncate(keep)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a results file written by this project; a torn last line (killed mid-write) is dropped.

    Parsed as one JSON array (one decoder call instead of one per row: 100k-row eval files load several
    times faster), falling back to line by line only to name a bad line or drop a torn last one."""
    lines = [line for line in decode_utf8(Path(path).read_bytes(), path).split("\n") if line.strip()]
    try:
        return json.loads("[" + ",".join(lines) + "]")
    except json.JSONDecodeError:
        pass
    rows = []
    for lineno, line in enumerate(lines, start=1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as err:
            if lineno == len(lines):
                logger.warning("%s:%d: dropping torn last line", path, lineno)
                break
            raise DataError(f"{path}:{lineno}: malformed JSON ({err.msg})") from None
    return rows


def to_hf_dataset(problems: list[Problem], render_prompt: Any) -> Any:
    """Rows -> `datasets.Dataset` with the columns TRL's GRPOTrainer passes to reward functions:
    `prompt` (already rendered text, so TRL does not template it again), `answer`, `label` (when any
    row has one), `id`, `source`. `render_prompt` maps a problem text to the prompt string."""
    import datasets

    columns: dict[str, list[Any]] = {"prompt": [], "answer": [], "id": [], "source": []}
    has_label = any("label" in p.extra for p in problems)
    if has_label:
        columns["label"] = []
    for p in problems:
        columns["prompt"].append(render_prompt(p.problem))
        columns["answer"].append(p.answer if p.answer is not None else "")
        columns["id"].append(p.id)
        columns["source"].append(p.source)
        if has_label:
            columns["label"].append(str(p.extra.get("label", "")))
    return datasets.Dataset.from_dict(columns)
