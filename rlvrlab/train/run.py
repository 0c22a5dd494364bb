"""Build everything a run needs from a TrainConfig, train, checkpoint, resume.

RUN_DIR layout: config.yaml (resolved; reproduces the run alone), metrics.jsonl, completions.jsonl,
train.log (log records and TRL's raw log dicts; a failed run ends with "training failed: ..."),
checkpoints/checkpoint-<optimizer step>/ (TRL/transformers checkpoints incl. optimizer and RNG state),
final/ (model + tokenizer after the last step).

Training prints nothing: transformers' progress bar and log printer are removed from the trainer;
pass `callbacks` (e.g. the CLI's progress display, rlvrlab.train.command) to show progress.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from rlvrlab.folders import check_out
from rlvrlab.models import resolve_model
from rlvrlab.train.callbacks import (
    TRL_LOG,
    EvalCallback,
    RunLogCallback,
    SaveAtEndCallback,
    truncate_run_logs,
)
from rlvrlab.train.config import TrainConfig, load_yaml, save_config, to_grpo_config

logger = logging.getLogger(__name__)
LOG_FILE = "train.log"
FAILED_MARK = "training failed:"


def resolve_prompt_name(config: TrainConfig, tokenizer: Any) -> str:
    """`auto`: the paper's per-model preset: qwen-math with a chat template, r1 for base models without one."""
    if config.prompt != "auto":
        return config.prompt
    return "qwen-math" if getattr(tokenizer, "chat_template", None) else "r1"


def load_policy(config: TrainConfig) -> tuple[Any, Any]:
    """Model + tokenizer from a shipped sim name, a local folder or a hub id (`rlvrlab.models.resolve_model`);
    bf16 when the config asks for it."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve_model(config.model)
    tokenizer = AutoTokenizer.from_pretrained(path, padding_side="left")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dtype = torch.bfloat16 if config.bf16 else torch.float32
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    return model, tokenizer


def build_dataset(config: TrainConfig, tokenizer: Any) -> Any:
    """Problems -> rendered prompts; prompts longer than max_prompt_length tokens are dropped (logged)."""
    from rlvrlab.data import load_problems, to_hf_dataset
    from rlvrlab.prompts import get_prompt

    spec = get_prompt(resolve_prompt_name(config, tokenizer))
    problems = load_problems(config.data, limit=config.data_limit)
    example = problems[0].problem if problems else ""
    dataset = to_hf_dataset(problems, prompt_renderer(spec, tokenizer, example))
    before = len(dataset)
    dataset = dataset.filter(
        lambda row: len(tokenizer(row["prompt"])["input_ids"]) <= config.max_prompt_length
    )
    if len(dataset) < before:
        logger.warning(
            "dropped %d of %d prompts longer than %d tokens",
            before - len(dataset),
            before,
            config.max_prompt_length,
        )
    if len(dataset) == 0:
        raise ValueError(f"no prompt of {config.data!r} fits max_prompt_length={config.max_prompt_length}")
    return dataset


def doubled_bos(prompt: str, tokenizer: Any) -> str:
    """The BOS text to strip from rendered prompts ("" if none): chat templates like Llama 3's start with
    `<|begin_of_text|>` and TRL tokenizes text prompts with special tokens on, so a tokenizer that adds BOS
    itself would give the model two BOS tokens, which it never saw in pretraining or instruction tuning.
    Evaluation tokenizes without special tokens and keeps the template's text as is."""
    bos = tokenizer.bos_token
    if not bos or not prompt.startswith(bos):
        return ""
    ids = tokenizer(prompt)["input_ids"]
    return bos if len(ids) > 1 and ids[0] == ids[1] == tokenizer.bos_token_id else ""


def prompt_renderer(spec: Any, tokenizer: Any, example: str) -> Callable[[str], str]:
    """problem text -> training prompt text, as TRL will tokenize it (one BOS; decided on `example`)."""
    strip = doubled_bos(spec.render(example, tokenizer), tokenizer)

    def render(problem: str) -> str:
        text = spec.render(problem, tokenizer)
        return text[len(strip) :] if strip and text.startswith(strip) else text

    return render


def build_rewards(config: TrainConfig) -> list[Callable[..., list[float]]]:
    from rlvrlab.rewards import build_reward

    return [build_reward(config.reward, seed=config.seed, grading_mode=config.grading_mode)]


def check_reward_columns(rewards: list[Callable[..., Any]], dataset: Any, data: str) -> None:
    """Refuse, before training starts, a reward that reads a column the data lacks or leaves empty
    (`--reward label` on a set without majority-vote labels, ground truth on a label-only set)."""
    for reward in rewards:
        for column in getattr(reward, "columns", ()):
            values = dataset[column] if column in dataset.column_names else []
            if not any(str(v).strip() for v in values):
                hint = " (make one with `rlvr label`, then --data DIR/all.jsonl)" if column == "label" else ""
                raise ValueError(
                    f"reward {getattr(reward, '__name__', reward)!r} reads the {column!r} column, but {data!r} "
                    f"has no {column!r} values{hint}"
                )


def build_trainer(
    config: TrainConfig,
    *,
    reward_funcs: list[Callable[..., list[float]]] | None = None,
    grpo_overrides: dict[str, Any] | None = None,
    run_logs: bool = True,
) -> Any:
    """The RLVRTrainer for `config`. `reward_funcs` replaces the spec-built reward (tests, custom rewards);
    `run_logs=False` leaves out the run-folder callbacks (for the overhead benchmark's bare comparison)."""
    from rlvrlab.prompts import get_prompt
    from rlvrlab.train.trainer import RLVRTrainer

    run_dir = Path(config.output_dir)
    rewards = reward_funcs if reward_funcs is not None else build_rewards(config)
    model, tokenizer = load_policy(config)
    dataset = build_dataset(config, tokenizer)
    prompt = get_prompt(resolve_prompt_name(config, tokenizer))
    check_reward_columns(rewards, dataset, config.data)
    grpo_config = to_grpo_config(
        dataclasses.replace(config, output_dir=str(run_dir / "checkpoints")),
        distributed_state().num_processes,
        **{"use_cpu": use_cpu(), **vllm_stop_arguments(config, prompt.stop), **(grpo_overrides or {})},
    )
    trainer = RLVRTrainer(
        model=model,
        reward_funcs=rewards,
        args=grpo_config,
        train_dataset=dataset,
        processing_class=tokenizer,
        second_whitening=config.second_whitening,
        ratio_epsilon=config.epsilon,
        grading_mode=config.grading_mode,
        extract_mode=prompt.answer_mode,
        log_completions_every=config.log_completions_every if run_logs else 0,
        stop_strings=prompt.stop,
    )
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(ProgressCallback)  # tqdm bar + a raw log dict per step on the terminal
    trainer.remove_callback(PrinterCallback)  # the same dicts when tqdm is disabled
    if run_logs:
        trainer.add_callback(RunLogCallback(run_dir, trainer))
        trainer.add_callback(SaveAtEndCallback())
        if config.eval_every:
            trainer.add_callback(
                EvalCallback(
                    trainer,
                    every=config.eval_every,
                    benchmark=config.eval_benchmark,
                    limit=config.eval_limit,
                    prompt=resolve_prompt_name(config, tokenizer),
                    max_new_tokens=config.eval_max_new_tokens,
                    grading_mode=config.grading_mode,
                )
            )
    return trainer


def vllm_stop_arguments(config: TrainConfig, stop: tuple[str, ...]) -> dict[str, Any]:
    """GRPOConfig arguments that make vLLM rollouts end at the prompt's stop strings (kept in the text, as the
    transformers backend keeps them, so both backends train on the same tokens)."""
    if not (config.use_vllm and stop):
        return {}
    return {"generation_kwargs": {"stop": list(stop), "include_stop_str_in_output": True}}


def use_cpu() -> bool:
    """CPU training: no CUDA, or ACCELERATE_USE_CPU=1. Passed to TRL as `use_cpu`, so processes started by
    `accelerate launch --multi_gpu --num_processes N` (torchrun underneath) join one gloo group. Note: in
    accelerate 1.15, `accelerate launch --cpu --num_processes N` starts ONE process unless --mpirun_hostfile
    is given; use --multi_gpu (or torchrun) for several CPU processes (configs/accelerate/cpu-2proc.yaml)."""
    flag = os.environ.get("ACCELERATE_USE_CPU", "").lower() in ("1", "true", "yes")
    return flag or not torch.cuda.is_available()


def distributed_state() -> Any:
    """accelerate's process state, with the same CPU choice the Trainer's arguments will make."""
    from accelerate import PartialState

    return PartialState(cpu=use_cpu())


def last_checkpoint(run_dir: Path) -> Path | None:
    """Newest complete checkpoint in RUN_DIR/checkpoints. trainer_state.json is the last file transformers
    writes, so a folder without it was cut short (e.g. kill -9 while saving) and is skipped."""
    folder = Path(run_dir) / "checkpoints"
    found = (
        [p for p in folder.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()] if folder.is_dir() else []
    )
    for path in sorted(found, key=lambda p: int(p.name.split("-")[-1]), reverse=True):
        if (path / "trainer_state.json").exists():
            return path
        logger.warning("%s is incomplete (no trainer_state.json): skipping it", path)
    return None


def check_run_dir(config: TrainConfig, resume: bool) -> None:
    """Refuse, before anything is written, an --out that holds something else, or a run without --resume,
    or a resume with different settings."""
    run_dir = Path(config.output_dir)
    check_out(run_dir, "run", inputs=[resolve_model(config.model), config.data])
    saved = run_dir / "config.yaml"
    if saved.exists() and not resume:
        raise ValueError(f"{run_dir} already holds a run: pass --resume to continue it or choose a new --out")
    if saved.exists():
        previous = load_yaml(saved)
        differs = sorted(k for k, v in config.to_dict().items() if previous.get(k) != v)
        if differs:
            raise ValueError(
                f"--resume with a different config than {saved} (keys {differs}): resume with the same settings"
            )


def prepare_run_dir(config: TrainConfig, resume: bool) -> Path | None:
    """Save config.yaml and trim logs written after the last checkpoint (call `check_run_dir` first).
    Returns the checkpoint to resume from (None: fresh start)."""
    run_dir = Path(config.output_dir)
    checkpoint = last_checkpoint(run_dir) if resume else None
    state = distributed_state()
    if state.is_main_process:
        save_config(config, run_dir / "config.yaml")
        if resume:
            step = 0
            if checkpoint is not None:
                step = checkpoint_step(checkpoint) // config.updates_per_rollout
            truncate_run_logs(run_dir, step)
    state.wait_for_everyone()
    return checkpoint


def checkpoint_step(checkpoint: Path) -> int:
    """TRL's optimizer step of a checkpoint-<step> folder."""
    return int(checkpoint.name.split("-")[-1])


def is_finished(run_dir: Path) -> bool:
    """final/ is complete: train() writes the tokenizer after the model, as the very last thing."""
    return (Path(run_dir) / "final" / "tokenizer_config.json").is_file()


def _final_from_checkpoint(checkpoint: Path, run_dir: Path) -> None:
    """Save final/ from the last checkpoint (model + tokenizer) without another optimizer step."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    state = distributed_state()
    if state.is_main_process:
        logger.info("%s is the last step: saving final/ from it without training", checkpoint)
        final = str(Path(run_dir) / "final")
        AutoModelForCausalLM.from_pretrained(str(checkpoint), dtype="auto").save_pretrained(final)
        AutoTokenizer.from_pretrained(str(checkpoint)).save_pretrained(final)
    state.wait_for_everyone()


def _remove_new_empty_folders(path: Path, before: set[Path] | None) -> None:
    """Undo what a trainer that failed to start created: empty folders not in `before` (the folder's
    contents before; None: `path` itself did not exist). Files are never removed."""
    if not path.is_dir():
        return
    created = [p for p in path.rglob("*") if before is None or p not in before]
    if before is None:
        created.append(path)
    for folder in sorted(created, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


@contextmanager
def run_log_file(run_dir: Path) -> Iterator[None]:
    """During the run, append log records (root logger, at the application's level) and TRL's raw log
    dicts to RUN_DIR/train.log (main process only); an exception is recorded there before it propagates."""
    if not distributed_state().is_main_process:
        yield
        return
    handler = logging.FileHandler(Path(run_dir) / LOG_FILE, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for target in (logging.getLogger(), TRL_LOG):
        target.addHandler(handler)
    try:
        yield
    except BaseException as err:
        handler.emit(logging.makeLogRecord({"name": __name__, "levelname": "ERROR", "levelno": logging.ERROR,
                                            "msg": f"{FAILED_MARK} {type(err).__name__}: {err}"}))  # fmt: skip
        raise
    finally:
        for target in (logging.getLogger(), TRL_LOG):
            target.removeHandler(handler)
        handler.close()


def train(
    config: TrainConfig,
    *,
    resume: bool = False,
    reward_funcs: list[Callable] | None = None,
    callbacks: Sequence[Any] = (),
) -> Path:
    """Run GRPO for `config`; returns RUN_DIR. With `resume`, continue from the last checkpoint in RUN_DIR;
    resuming a finished run does nothing. Every check (folder, config, model, data, reward columns, batch
    shapes) runs before the first file is written, so a run that fails to start leaves nothing behind.
    `callbacks`: extra TrainerCallbacks (progress displays)."""
    if not config.model or not config.output_dir:
        raise ValueError("model and output_dir are required (--model PATH_OR_HUB_ID --out RUN_DIR)")
    run_dir = Path(config.output_dir)
    check_run_dir(config, resume)
    if resume and is_finished(run_dir):
        logger.info("%s is already finished (final/ is saved): nothing to do", run_dir)
        return run_dir
    checkpoint = last_checkpoint(run_dir) if resume else None
    if (
        checkpoint is not None
        and checkpoint_step(checkpoint) >= config.max_steps * config.updates_per_rollout
    ):
        _final_from_checkpoint(checkpoint, run_dir)  # killed after the last step, before final/ was saved
        return run_dir
    before = set(run_dir.rglob("*")) if run_dir.exists() else None
    try:
        trainer = build_trainer(config, reward_funcs=reward_funcs)
    except BaseException:
        _remove_new_empty_folders(run_dir, before)
        raise
    checkpoint = prepare_run_dir(config, resume)
    with run_log_file(run_dir):
        if checkpoint is not None:
            logger.info("resuming from %s", checkpoint)
        for callback in callbacks:
            trainer.add_callback(callback)
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
        trainer.save_model(str(run_dir / "final"))
        if trainer.accelerator.is_main_process:
            trainer.processing_class.save_pretrained(str(run_dir / "final"))
    return run_dir


def train_from_cli(
    *,
    out: Path,
    model: str | None,
    data: str | None,
    reward: str | None,
    preset: str | None,
    config: Path | None,
    overrides: list[str],
    resume: bool,
    callbacks: Sequence[Any] = (),
) -> Path:
    """`rlvr train`: resolve the config (on --resume with no --config, RUN_DIR/config.yaml is the base)."""
    from rlvrlab.train.config import resolve_config

    saved = Path(out) / "config.yaml"
    if resume and config is None and preset is None and saved.exists():
        config = saved
    resolved = resolve_config(
        preset=preset,
        config_path=config,
        overrides=overrides,
        model=model,
        data=data,
        reward=reward,
        output_dir=str(out),
    )
    return train(resolved, resume=resume, callbacks=callbacks)
