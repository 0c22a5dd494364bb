"""`rlvr audit` and its sub-commands (`contamination`, `prompts`): argument handling and console output,
kept out of `rlvrlab/cli.py` so the shared CLI file holds only the option lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markdown import Markdown

from rlvrlab.audit.contamination import ProbeConfig


def _split(items: list[str] | None) -> tuple[str, ...]:
    """Repeated options and comma-separated lists alike: --controls A,B --controls C -> (A, B, C)."""
    return tuple(part.strip() for item in items or [] for part in item.split(",") if part.strip())


def probe_config(
    fraction: float, prefix: str, max_new_tokens: int, batch_size: int, seed: int = 0
) -> ProbeConfig:
    return ProbeConfig(
        fraction=fraction,
        prefix_mode=prefix,  # type: ignore[arg-type]
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
        seed=seed,
    )


def audit_command(console: Console, *, json_out: bool, **options: Any) -> dict[str, Any]:
    """Run the whole audit; print audit.md (or the audit as one JSON object)."""
    from rlvrlab.audit.run import REPORT_FILE, AuditConfig, run_audit

    if not options.get("base") or not options.get("trained"):
        raise ValueError(
            "--base EVAL_OR_MODEL and --trained RUN_OR_EVAL are required "
            "(or use a sub-command: rlvr audit contamination | prompts)"
        )
    probe = probe_config(
        options.pop("probe_fraction"),
        options.pop("probe_prefix"),
        options.pop("probe_max_tokens"),
        options["batch_size"],
        options["seed"],
    )
    config = AuditConfig(
        **{
            **options,
            "out": str(options["out"]),
            "controls": _split(options["controls"]),
            "run_controls": _split(options["run_controls"]),
            "templates": tuple(options["templates"] or ()),
            "overrides": tuple(options["overrides"] or ()),
            "probe": probe,
        }
    )
    audit = run_audit(config)
    if json_out:
        console.out(json.dumps(audit, indent=2), highlight=False)
    else:
        console.print(Markdown((Path(config.out) / REPORT_FILE).read_text(encoding="utf-8")))
        console.print(f"audit.json and audit.md in {config.out}")
    return audit


def fresh_set(fresh: str, n: int, seed: int) -> list[Any]:
    """Fresh control problems: a generated family (n problems) or any data set; "none" for no control."""
    from rlvrlab.data import load_problems
    from rlvrlab.data.generate import families, generated_problems

    if fresh == "none":
        return []
    return generated_problems(fresh, n, seed) if fresh in families() else load_problems(fresh)


def contamination_command(
    console: Console,
    *,
    model: str,
    benchmark: str,
    fresh: str,
    fresh_seed: int,
    fraction: float,
    prefix: str,
    max_new_tokens: int,
    limit: int | None,
    batch_size: int,
    backend: str,
    out: Path | None,
    json_out: bool,
) -> dict[str, Any]:
    """Probe one model; print the figures (or one JSON object), and write them under --out when given."""
    from rlvrlab.audit.contamination import run_probe
    from rlvrlab.data import load_problems, write_jsonl

    probe = probe_config(fraction, prefix, max_new_tokens, batch_size)
    problems = load_problems(benchmark, limit=limit)
    control = fresh_set(fresh, len(problems), fresh_seed)
    summary, rows = run_probe(model, problems, control, probe, backend=backend)  # type: ignore[arg-type]
    result = {"model": model, "benchmark": benchmark, "fresh": fresh, **summary}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "contamination.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        write_jsonl(out / "contamination_samples.jsonl", rows)
    if json_out:
        console.out(json.dumps(result, indent=2), highlight=False)
        return result
    from rlvrlab.audit.report import contamination_section

    console.print(Markdown("\n".join(contamination_section(summary))))
    return result


def prompts_command(
    console: Console, *, json_out: bool, out: Path, templates: list[str] | None, **settings: Any
) -> dict[str, Any]:
    """Evaluate the base under every Table 5 template (+ user templates); print the table."""
    from rlvrlab.audit.prompt_baseline import run_prompt_baseline
    from rlvrlab.audit.report import prompt_section
    from rlvrlab.evaluate.run import EvalConfig

    config = EvalConfig(
        model=settings["model"],
        out="",
        benchmarks=(settings["benchmark"],),
        backend=settings["backend"],
        limit=settings["limit"],
        overrides=tuple(settings["overrides"] or ()),
        batch_size=settings["batch_size"],
        seed=settings["seed"],
    )
    result = run_prompt_baseline(config, out, tuple(templates or ()))
    (out / "prompt_baseline.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if json_out:
        console.out(json.dumps(result, indent=2), highlight=False)
    else:
        console.print(Markdown("\n".join(prompt_section(result))))
    return result
