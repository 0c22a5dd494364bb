"""The audit's checks, each from evaluation folders the audit made or was given (`rlvrlab.audit.run`)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from rlvrlab.audit.contamination import ProbeConfig, run_probe
from rlvrlab.audit.evals import benchmark_summary
from rlvrlab.audit.prompt_baseline import run_prompt_baseline
from rlvrlab.audit.run import (
    AuditConfig,
    Subject,
    benchmark_eval,
    control_name,
    fresh_eval,
    fresh_problems,
    recipe_differences,
)
from rlvrlab.audit.verdict import NOT_MEASURABLE, not_measurable, paired_check, summary_sentence
from rlvrlab.data import load_problems, write_jsonl
from rlvrlab.evaluate.compare import compare_runs
from rlvrlab.evaluate.run import EvalConfig
from rlvrlab.prompts import TABLE5_PROMPTS

logger = logging.getLogger(__name__)

CONTAMINATION_FILE = "contamination.json"
CONTAMINATION_SAMPLES = "contamination_samples.jsonl"


@dataclass(frozen=True)
class Evals:
    """Where the audit's comparisons read from: the benchmark and the fresh set, and the base's and the
    trained model's eval folders on each."""

    benchmark: str
    fresh: str
    base_bench: Path
    base_fresh: Path
    trained_bench: Path
    trained_fresh: Path
    n_boot: int
    seed: int

    def compare(self, a: Path, b: Path, on_fresh: bool = False) -> dict[str, Any]:
        """B - A on the benchmark (or the fresh set), paired over the problems both graded."""
        name = self.fresh if on_fresh else self.benchmark
        return compare_runs(a, b, n_boot=self.n_boot, seed=self.seed)[name]


def assemble_audit(
    config: AuditConfig,
    settings: EvalConfig,
    base: Subject,
    trained: Subject,
    controls: list[Subject],
    out: Path,
) -> dict[str, Any]:
    """Every check of the audit, the per-check verdicts and the summary, as audit.json holds them."""
    bench = settings.benchmarks[0]
    base_bench = benchmark_eval(base, settings, out)
    fresh = fresh_problems(config, out, benchmark_summary(base_bench, bench)["n_problems"])
    trained_bench = benchmark_eval(trained, settings, out)
    evals = Evals(
        bench,
        fresh,
        base_bench,
        fresh_eval(base, settings, fresh, out),
        trained_bench,
        fresh_eval(trained, settings, fresh, out),
        config.n_boot,
        settings.seed,
    )
    audit: dict[str, Any] = {
        "benchmark": bench,
        "fresh": fresh,
        "prompt": settings.prompt,
        "limit": settings.limit,
        "protocol": settings.protocols()[bench].to_dict(),
        "base": _subject_record(base, evals.base_bench, evals.base_fresh, bench),
        "trained": _subject_record(trained, evals.trained_bench, evals.trained_fresh, bench),
        "claimed_gain": paired_check("claimed", evals.compare(base_bench, trained_bench), "trained - base"),
    }
    baseline = run_prompt_baseline(
        replace(settings, out=""),
        out / "prompts",
        config.templates,
        reuse={settings.prompt: base_bench} if settings.prompt in TABLE5_PROMPTS else None,
        n_boot=config.n_boot,
    )
    best_dir = Path(baseline["templates"][baseline["best"]]["eval_dir"])
    audit["prompt_baseline"] = baseline
    audit["gain_over_best_prompt"] = paired_check(
        "best_prompt",
        evals.compare(best_dir, trained_bench),
        f"trained - base prompted with {baseline['best']}",
    )
    audit["controls"] = [_control_record(c, trained, settings, out, evals) for c in controls]
    audit["fresh_gain"] = paired_check(
        "fresh",
        evals.compare(evals.base_fresh, evals.trained_fresh, True),
        "trained - base on fresh problems",
    )
    audit["contamination"] = contamination_of_base(base, settings, fresh, config.probe, out)
    audit["verdicts"] = _verdicts(audit)
    audit["summary"] = summary_sentence(audit["verdicts"], bench)
    return audit


def _subject_record(subject: Subject, bench_dir: Path, fresh_dir: Path, bench: str) -> dict[str, Any]:
    run_config = subject.run_config()
    metrics = benchmark_summary(bench_dir, bench)
    return {
        "model": subject.model,
        "run_dir": str(subject.run_dir) if subject.run_dir else None,
        "reward": run_config["reward"] if run_config else None,
        "eval_dir": str(bench_dir),
        "fresh_eval_dir": str(fresh_dir),
        "accuracy": metrics["accuracy"],
        "accuracy_ci95": metrics["accuracy_ci95"],
        "code_rate": metrics.get("code_rate"),
    }


def _control_record(
    control: Subject, trained: Subject, settings: EvalConfig, out: Path, evals: Evals
) -> dict[str, Any]:
    """A control's own change over the base, and the trained model's gain over it (benchmark, fresh)."""
    run_config, trained_config = control.run_config(), trained.run_config()
    name = control_name(run_config) if run_config else control.model
    bench_dir, fresh_dir = (
        benchmark_eval(control, settings, out),
        fresh_eval(control, settings, evals.fresh, out),
    )
    own = evals.compare(evals.base_bench, bench_dir)
    return {
        "name": name,
        **_subject_record(control, bench_dir, fresh_dir, evals.benchmark),
        "gain_over_base": {"diff": own["diff"], "diff_ci95": own["diff_ci95"]},
        "trained_minus_control": paired_check(
            "control", evals.compare(bench_dir, evals.trained_bench), f"trained - {name}"
        ),
        "trained_minus_control_fresh": paired_check(
            "control",
            evals.compare(fresh_dir, evals.trained_fresh, True),
            f"trained - {name} on fresh problems",
        ),
        "recipe_differences": recipe_differences(trained_config, run_config)
        if run_config and trained_config
        else None,
    }


def contamination_of_base(
    base: Subject, settings: EvalConfig, fresh: str, probe: ProbeConfig, out: Path
) -> dict[str, Any]:
    """The partial-prompt probe of the base model on the audited benchmark problems and the fresh set;
    reused from OUT/contamination.json when it was made with the same model, problems and settings."""
    key = {
        "model": base.model,
        "benchmark": settings.benchmarks[0],
        "limit": settings.limit,
        "fresh": fresh,
        "probe": asdict(probe),
    }
    path = out / CONTAMINATION_FILE
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("key") == key:
            return saved
    logger.info("contamination probe of %s on %s and the fresh problems", base.model, settings.benchmarks[0])
    problems = load_problems(settings.benchmarks[0], limit=settings.limit)
    summary, rows = run_probe(base.model, problems, load_problems(fresh), probe, backend=settings.backend)
    write_jsonl(out / CONTAMINATION_SAMPLES, rows)
    record = {"key": key, **summary}
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def _verdicts(audit: dict[str, Any]) -> dict[str, str]:
    verdicts = {
        "claimed gain": audit["claimed_gain"]["verdict"],
        "best-prompt base": audit["gain_over_best_prompt"]["verdict"],
    }
    for control in audit["controls"]:
        verdicts[f"control {control['name']}"] = control["trained_minus_control"]["verdict"]
    if not audit["controls"]:
        verdicts["spurious-reward controls"] = NOT_MEASURABLE
        audit["controls_note"] = not_measurable("no --controls given and no --run-controls asked for")
    verdicts["fresh problems"] = audit["fresh_gain"]["verdict"]
    verdicts["contamination of the base"] = audit["contamination"]["verdict"]
    return verdicts
