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
    """Model + tokenizer from a hub id or a local folder (one path); bf16 when the config asks for it."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(config.model, padding_side="left")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dtype = torch.bfloat16 if config.bf16 else torch.float32
    model = AutoModelForCausalLM.from_pretrained(config.model, dtype=dtype)
    return model, tokenizer


def build_dataset(config: TrainConfig, tokenizer: Any) -> Any:
    """Problems -> rendered prompts; prompts longer than max_prompt_length tokens are dropped (logged)."""
    from rlvrlab.data import load_problems, to_hf_dataset
    from rlvrlab.prompts import get_prompt

    spec = get_prompt(resolve_prompt_name(config, tokenizer))
    problems = load_problems(config.data, limit=config.data_limit)
    dataset = to_hf_dataset(problems, lambda text: spec.render(text, tokenizer))
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


def build_rewards(config: TrainConfig) -> list[Callable[..., list[float]]]:
    from rlvrlab.rewards import build_reward

    return [build_reward(config.reward, seed=config.seed, grading_mode=config.grading_mode)]


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
    model, tokenizer = load_policy(config)
    dataset = build_dataset(config, tokenizer)
    grpo_config = to_grpo_config(
        dataclasses.replace(config, output_dir=str(run_dir / "checkpoints")),
        distributed_state().num_processes,
        **{"use_cpu": use_cpu(), **(grpo_overrides or {})},
    )
    trainer = RLVRTrainer(
        model=model,
        reward_funcs=reward_funcs if reward_funcs is not None else build_rewards(config),
        args=grpo_config,
        train_dataset=dataset,
        processing_class=tokenizer,
        second_whitening=config.second_whitening,
        ratio_epsilon=config.epsilon,
        grading_mode=config.grading_mode,
        extract_mode=get_prompt(resolve_prompt_name(config, tokenizer)).answer_mode,
        log_completions_every=config.log_completions_every if run_logs else 0,
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


def prepare_run_dir(config: TrainConfig, resume: bool) -> Path | None:
    """Check the folder against --resume, save config.yaml, trim logs written after the last checkpoint.
    Returns the checkpoint to resume from (None: fresh start)."""
    run_dir = Path(config.output_dir)
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
    checkpoint = last_checkpoint(run_dir) if resume else None
    state = distributed_state()
    if state.is_main_process:
        save_config(config, saved)
        if resume:
            step = 0
            if checkpoint is not None:
                step = int(checkpoint.name.split("-")[-1]) // config.updates_per_rollout
            truncate_run_logs(run_dir, step)
    state.wait_for_everyone()
    return checkpoint


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
    """Run GRPO for `config`; returns RUN_DIR. With `resume`, continue from the last checkpoint in RUN_DIR.
    `callbacks`: extra TrainerCallbacks (progress displays)."""
    if not config.model or not config.output_dir:
        raise ValueError("model and output_dir are required (--model PATH_OR_HUB_ID --out RUN_DIR)")
    checkpoint = prepare_run_dir(config, resume)
    with run_log_file(Path(config.output_dir)):
        if checkpoint is not None:
            logger.info("resuming from %s", checkpoint)
        trainer = build_trainer(config, reward_funcs=reward_funcs)
        for callback in callbacks:
            trainer.add_callback(callback)
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
        final = Path(config.output_dir) / "final"
        trainer.save_model(str(final))
        if trainer.accelerator.is_main_process:
            trainer.processing_class.save_pretrained(str(final))
    return Path(config.output_dir)


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
