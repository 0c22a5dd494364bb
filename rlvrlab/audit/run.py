"""`rlvr audit`: one verdict on a claimed RLVR gain from every way the gain could be unreal.

The checks (each a paired bootstrap over the same problems, `rlvrlab.evaluate.compare_runs`):
1. claimed gain: trained - base on the benchmark;
2. gain over the best-prompt base: trained - base under its best Table 5 template (`prompt_baseline`);
3. gain over each spurious-reward control trained with the same recipe (the trained run's config.yaml with
   only the reward changed; `run_controls` trains the missing ones, "incorrect" on the base model's own
   wrong majority-vote labels, as the paper did);
4. gain on fresh problems (`rlvrlab.data.generate`): trained - base on problems no model has seen;
5. the base's contamination figures on the benchmark against fresh problems (`contamination`).
Verdict words come from the intervals (`verdict`). Everything lands in OUT: evals/<subject>/benchmark and
/fresh (ordinary `rlvr eval` folders), prompts/, controls/<reward>/ (training runs), contamination.json,
fresh.jsonl, audit.json and audit.md. A re-run reuses every finished piece.

What can be given: --base and --trained each as an eval folder (its settings become the audit's), a run
folder (RUN/final is the model, RUN/config.yaml the recipe) or a model (local folder or hub id).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from rlvrlab.audit.contamination import ProbeConfig
from rlvrlab.audit.evals import evaluate_once
from rlvrlab.evaluate.run import CONFIG_FILE, SAMPLES_FILE, EvalConfig

logger = logging.getLogger(__name__)

AUDIT_FILE = "audit.json"
REPORT_FILE = "audit.md"
INCORRECT = "incorrect"


@dataclass(frozen=True)
class AuditConfig:
    """One `rlvr audit`. Evaluation settings (benchmark, prompt, limit, overrides, seed) come from --base
    when it is an eval folder; otherwise from these fields (defaults: math500, the paper's protocol).

    fresh: a problem family of `rlvrlab.data.generate` (generated into OUT/fresh.jsonl, `fresh_n`
    problems, default as many as the benchmark has, at most 500) or any data set name/file.
    run_controls: reward specs to train with the trained run's recipe when no --controls run has that
    reward; "incorrect" = the `label` reward on the base model's wrong majority-vote labels
    (`label_samples` samples per problem, `label_limit` problems).
    templates: user prompt templates added to the Table 5 set. probe: contamination probe settings.
    """

    base: str
    trained: str
    out: str
    controls: tuple[str, ...] = ()
    run_controls: tuple[str, ...] = ()
    benchmark: str | None = None
    fresh: str = "random-calculation"
    fresh_n: int | None = None
    fresh_seed: int = 0
    prompt: str | None = None
    templates: tuple[str, ...] = ()
    limit: int | None = None
    overrides: tuple[str, ...] = ()
    seed: int = 0
    batch_size: int = 16
    backend: str = "hf"
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    label_samples: int = 64
    label_limit: int | None = None
    n_boot: int = 2000

    def __post_init__(self) -> None:
        from rlvrlab.rewards import build_reward

        for spec in self.run_controls:
            if spec != INCORRECT:
                build_reward(spec)  # a bad spec fails before anything is evaluated or trained
        if self.fresh_n is not None and self.fresh_n < 1:
            raise ValueError(f"fresh_n must be >= 1, got {self.fresh_n}")


@dataclass(frozen=True)
class Subject:
    """A model in the audit: its weights, an eval folder the user gave (or None), its training run."""

    name: str
    model: str
    eval_dir: Path | None = None
    run_dir: Path | None = None

    def run_config(self) -> dict[str, Any] | None:
        from rlvrlab.train.config import load_yaml

        return load_yaml(self.run_dir / "config.yaml") if self.run_dir else None


def resolve_subject(name: str, given: str) -> Subject:
    """An eval folder, a run folder or a model (folder or hub id) -> Subject."""
    path = Path(given)
    if (path / SAMPLES_FILE).exists() and (path / CONFIG_FILE).exists():
        model = json.loads((path / CONFIG_FILE).read_text(encoding="utf-8")).get("model")
        if not model:
            raise ValueError(
                f"{path}: graded imported generations have no model to evaluate on fresh problems"
            )
        return Subject(name, model, eval_dir=path, run_dir=_run_of(model))
    if (path / "config.yaml").exists():
        if not (path / "final" / "config.json").exists():
            raise ValueError(
                f"{path}: the run has no final/ model yet; finish it (rlvr train --resume) first"
            )
        return Subject(name, str(path / "final"), run_dir=path)
    if path.is_dir() and not (path / "config.json").exists():
        raise ValueError(f"{path}: not an eval folder, a run folder or a model folder")
    return Subject(name, given, run_dir=_run_of(given))


def _run_of(model: str) -> Path | None:
    """RUN for a model at RUN/final (so an eval of a trained model still knows its recipe)."""
    path = Path(model)
    return path.parent if path.name == "final" and (path.parent / "config.yaml").exists() else None


def eval_settings(config: AuditConfig, base: Subject) -> EvalConfig:
    """The one EvalConfig every subject is evaluated with (model and out replaced per subject). The
    benchmark's resolved protocol is written as global overrides, so fresh problems get the same one."""
    from rlvrlab.evaluate.protocol import parse_overrides, resolve_protocol

    if base.eval_dir is None:
        benchmark = config.benchmark or "math500"
        protocol = resolve_protocol(benchmark, parse_overrides(config.overrides))
        prompt, limit, seed = config.prompt or "qwen-math", config.limit, config.seed
    else:
        saved = json.loads((base.eval_dir / CONFIG_FILE).read_text(encoding="utf-8"))
        benchmark = config.benchmark or saved["benchmarks"][0]
        if benchmark not in saved["protocols"]:
            raise ValueError(f"{base.eval_dir} did not evaluate {benchmark!r} (it has {saved['benchmarks']})")
        _refuse_conflicts(config, saved, base.eval_dir)
        protocol = resolve_protocol(benchmark, {None: saved["protocols"][benchmark]})
        prompt, limit, seed = saved["prompt"], saved["limit"], saved["seed"]
    overrides = tuple(f"{k}={v}" for k, v in protocol.to_dict().items() if k != "name")
    return EvalConfig(
        model=base.model,
        out="",
        benchmarks=(benchmark,),
        backend=config.backend,  # type: ignore[arg-type]
        prompt=prompt,
        limit=limit,
        overrides=overrides,
        batch_size=config.batch_size,
        seed=seed,
    )


def _refuse_conflicts(config: AuditConfig, saved: dict[str, Any], folder: Path) -> None:
    clash = [
        k for k in ("prompt", "limit") if getattr(config, k) is not None and getattr(config, k) != saved[k]
    ]
    clash += ["--set overrides"] if config.overrides and list(config.overrides) != saved["overrides"] else []
    if clash:
        raise ValueError(
            f"--base is the eval folder {folder}: the audit uses its {', '.join(clash)}; "
            "drop those options or evaluate the base again with them"
        )


def benchmark_eval(subject: Subject, settings: EvalConfig, out: Path) -> Path:
    """The subject's eval folder for the benchmark: the one the user gave (checked to match), or a new one."""
    if subject.eval_dir is None:
        return evaluate_once(
            replace(settings, model=subject.model, out=str(out / "evals" / subject.name / "benchmark"))
        )
    saved = json.loads((subject.eval_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    bench = settings.benchmarks[0]
    wanted = settings.protocols()[bench].to_dict()
    differ = [k for k in ("prompt", "limit", "seed") if saved.get(k) != getattr(settings, k)]
    differ += ["protocol"] if saved.get("protocols", {}).get(bench) != wanted else []
    if differ:
        raise ValueError(
            f"{subject.eval_dir} was evaluated with another {', '.join(differ)} than the base: "
            "a paired comparison needs both evaluated the same way"
        )
    return subject.eval_dir


def fresh_eval(subject: Subject, settings: EvalConfig, fresh: str, out: Path) -> Path:
    folder = out / "evals" / subject.name / "fresh"
    return evaluate_once(
        replace(settings, model=subject.model, benchmarks=(fresh,), out=str(folder), limit=None)
    )


def fresh_problems(config: AuditConfig, out: Path, n_benchmark: int) -> str:
    """The fresh set as a benchmark name/path: a generated family written to OUT/fresh.jsonl, or as given."""
    from rlvrlab.data.generate import families, generate_problems, write_problems

    if config.fresh not in families():
        return config.fresh
    n = config.fresh_n or min(n_benchmark, 500)
    path = out / "fresh.jsonl"
    write_problems(generate_problems(config.fresh, n, seed=config.fresh_seed), path)
    return str(path)


def control_name(run_config: dict[str, Any]) -> str:
    """A control's name from its recipe: its reward, "incorrect" for wrong-label training, clip noted."""
    reward = run_config["reward"]
    if reward == "label":
        reward = INCORRECT if "incorrect" in Path(str(run_config["data"])).name else "majority vote"
    return reward + (" (clip off)" if run_config.get("clip") == "off" else "")


def recipe_differences(trained: dict[str, Any], control: dict[str, Any]) -> list[str]:
    """Config keys where a control departs from the trained run's recipe (beyond reward, data, folder)."""
    skip = {"reward", "data", "output_dir"}
    return sorted(k for k in trained if k not in skip and trained.get(k) != control.get(k))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def resolve_controls(config: AuditConfig, trained: Subject, out: Path) -> list[Subject]:
    """The given control runs, plus a trained one for every --run-controls spec none of them covers."""
    controls = [resolve_subject(f"control-{i}", given) for i, given in enumerate(config.controls, start=1)]
    have = {control_name(c.run_config()) for c in controls if c.run_dir is not None}
    for spec in config.run_controls:
        if spec in have:
            continue
        if trained.run_dir is None:
            raise ValueError(
                "--run-controls needs --trained to be a training run (or an eval of RUN/final): its "
                "config.yaml is the recipe the controls repeat"
            )
        run_dir = train_control(spec, trained.run_dir, out / "controls" / _slug(spec), config)
        controls.append(Subject(f"control-{_slug(spec)}", str(run_dir / "final"), run_dir=run_dir))
    return controls


def train_control(spec: str, recipe_run: Path, run_dir: Path, config: AuditConfig) -> Path:
    """The trained run's recipe with only the reward changed (and, for "incorrect", the data)."""
    from rlvrlab.train.config import TrainConfig, load_yaml
    from rlvrlab.train.run import train

    if (run_dir / "final" / "config.json").exists():
        return run_dir
    values = {**load_yaml(recipe_run / "config.yaml"), "output_dir": str(run_dir), "reward": spec}
    if spec == INCORRECT:
        values.update(reward="label", data=incorrect_labels(values, run_dir.parent / "labels", config))
    logger.info("training control %s into %s", spec, run_dir)
    train(TrainConfig(**values), resume=(run_dir / "config.yaml").exists())
    return run_dir


def incorrect_labels(recipe: dict[str, Any], folder: Path, config: AuditConfig) -> str:
    """The recipe's starting model labels its own training data by majority vote (the paper's recipe);
    incorrect.jsonl keeps the problems whose label is wrong."""
    from rlvrlab.labels.run import LabelOptions, run_labelling

    if not (folder / "stats.json").exists():
        options = LabelOptions(
            model=recipe["model"],
            data=recipe["data"],
            samples=config.label_samples,
            temperature=recipe["temperature"],
            max_new_tokens=recipe["max_completion_length"],
            prompt=_recipe_prompt(recipe),
            grading=recipe["grading_mode"],
            seed=recipe["seed"],
        )
        run_labelling(
            options,
            folder,
            backend=config.backend,  # type: ignore[arg-type]
            limit=config.label_limit or recipe.get("data_limit"),
            resume=(folder / "answers.jsonl").exists(),
            batch_size=config.batch_size,
        )
    return str(folder / "incorrect.jsonl")


def _recipe_prompt(recipe: dict[str, Any]) -> str:
    if recipe["prompt"] != "auto":
        return recipe["prompt"]
    from transformers import AutoTokenizer

    has_template = getattr(AutoTokenizer.from_pretrained(recipe["model"]), "chat_template", None)
    return "qwen-math" if has_template else "r1"


def run_audit(config: AuditConfig) -> dict[str, Any]:
    """Evaluate, train missing controls, probe, compare; write audit.json and audit.md; return the audit."""
    from rlvrlab.audit.checks import assemble_audit
    from rlvrlab.audit.report import audit_markdown

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    base, trained = resolve_subject("base", config.base), resolve_subject("trained", config.trained)
    settings = eval_settings(config, base)
    controls = resolve_controls(config, trained, out)  # trains the missing ones first
    audit = assemble_audit(config, settings, base, trained, controls, out)
    audit["config"] = json.loads(json.dumps(asdict(config)))
    (out / AUDIT_FILE).write_text(json.dumps(audit, indent=2) + "\n", encoding="utf-8")
    (out / REPORT_FILE).write_text(audit_markdown(audit), encoding="utf-8")
    return audit
