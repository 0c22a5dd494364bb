"""Problems: shipped benchmarks (math500, aime24, aime25, amc), DeepScaleR, sim sets, local files, hub ids."""

from rlvrlab.data.load import (
    DataError,
    Problem,
    append_jsonl,
    load_problems,
    read_jsonl,
    shipped_dir,
    shipped_names,
    to_hf_dataset,
    write_jsonl,
)

__all__ = [
    "DataError",
    "Problem",
    "append_jsonl",
    "load_problems",
    "read_jsonl",
    "shipped_dir",
    "shipped_names",
    "to_hf_dataset",
    "write_jsonl",
]
