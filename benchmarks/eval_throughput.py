"""Harness overhead: generated tokens/s of `rlvr eval`'s hf backend vs a bare `model.generate` loop.

Both paths run in one process on the same model, the same MATH-500 prompts (qwen-math preset), greedy,
the same batch size and token budget. The harness path is the real eval loop (`evaluate_problems`:
batch planning, generation, grading, code detection, appending samples.jsonl); the bare path tokenizes,
calls `model.generate` on the same length-sorted batches and counts generated tokens up to EOS. Runs alternate (bare, harness, bare, ...)
so load from other processes hits both alike; the ratio of medians is reported. Goal: >= 0.9x.
On a shared machine wall-clock rates are noisy, so the harness run also times the calls to
`model.generate` inside it: the share of its wall time spent elsewhere is the harness overhead itself.

    python benchmarks/eval_throughput.py                 # a locally built random Qwen2 (offline)
    python benchmarks/eval_throughput.py --model PATH    # any local model / hub id
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.tiny (the local tokenizer)

from rlvrlab.data import append_jsonl, load_problems  # noqa: E402
from rlvrlab.evaluate.protocol import BenchmarkProtocol  # noqa: E402
from rlvrlab.evaluate.run import evaluate_problems  # noqa: E402
from rlvrlab.generate import HFGenerator, load_model_and_tokenizer  # noqa: E402
from rlvrlab.prompts import get_prompt  # noqa: E402


def build_local_model(path: Path, hidden: int, layers: int) -> Path:
    """A random Qwen2 (the tests' Qwen-style tokenizer) big enough that compute, not Python, dominates."""
    from tests.tiny import build_tiny_model

    return build_tiny_model(path, hidden=hidden, layers=layers, heads=8, mlp_ratio=4)


@torch.inference_mode()
def bare_generate(model, tokenizer, prompts: list[str], batch_size: int, max_new_tokens: int) -> int:
    """The baseline: plain batched greedy `model.generate`; returns generated tokens (up to EOS). Prompts
    are batched in length order as the harness does, so the comparison measures overhead, not padding."""
    tokenizer.padding_side = "left"
    eos = tokenizer.eos_token_id
    prompts = sorted(prompts, key=len)
    total = 0
    for start in range(0, len(prompts), batch_size):
        enc = tokenizer(prompts[start : start + batch_size], return_tensors="pt", padding=True).to(
            model.device
        )
        out = model.generate(
            **enc, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id
        )
        for row in out[:, enc["input_ids"].shape[1] :].tolist():
            total += row.index(eos) + 1 if eos in row else len(row)
    return total


class TimedGenerate:
    """Wraps `model.generate` to add up the seconds spent inside it (the rest is harness overhead)."""

    def __init__(self, model) -> None:
        self.model, self.inner, self.seconds = model, model.generate, 0.0

    def __call__(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0


def harness_generate(generator, problems, protocol, out_file: Path) -> int:
    rows = evaluate_problems(
        generator,
        problems,
        protocol,
        get_prompt("qwen-math"),
        benchmark="math500",
        on_rows=lambda batch: append_jsonl(out_file, batch),
    )
    return sum(r["n_tokens"] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="local folder or hub id (default: build a random Qwen2 locally)")
    parser.add_argument("--problems", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: steadier on shared CPUs)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    tmp = Path(tempfile.mkdtemp(prefix="eval_throughput_"))
    model_path = args.model or str(build_local_model(tmp / "model", args.hidden, args.layers))
    model, tokenizer = load_model_and_tokenizer(model_path)
    problems = load_problems("math500", limit=args.problems)
    spec = get_prompt("qwen-math")
    prompts = [spec.render(p.problem, tokenizer) for p in problems]
    protocol = BenchmarkProtocol("math500", max_new_tokens=args.max_new_tokens)
    generator = HFGenerator(model, tokenizer, batch_size=args.batch_size)
    n_params = sum(p.numel() for p in model.parameters())

    bare_generate(model, tokenizer, prompts[: args.batch_size], args.batch_size, 8)  # warm-up
    bare_rates, harness_rates, overheads, bare_cpu, harness_cpu = [], [], [], [], []
    for repeat in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        tokens = bare_generate(model, tokenizer, prompts, args.batch_size, args.max_new_tokens)
        bare_rates.append(tokens / (time.perf_counter() - t0))
        bare_cpu.append(tokens / (time.process_time() - c0))
        model.generate = timed = TimedGenerate(model)
        t0, c0 = time.perf_counter(), time.process_time()
        tokens_h = harness_generate(generator, problems, protocol, tmp / f"samples{repeat}.jsonl")
        wall = time.perf_counter() - t0
        harness_cpu.append(tokens_h / (time.process_time() - c0))
        del model.generate  # back to the class method
        harness_rates.append(tokens_h / wall)
        overheads.append(1 - timed.seconds / wall)
        print(
            f"repeat {repeat}: bare {tokens} tokens {bare_rates[-1]:.1f} tok/s | harness {tokens_h} tokens "
            f"{harness_rates[-1]:.1f} tok/s, {100 * overheads[-1]:.2f}% of its time outside model.generate"
        )
    bare, harness = statistics.median(bare_rates), statistics.median(harness_rates)
    print(
        f"model: {model_path if args.model else 'random Qwen2'} ({n_params / 1e6:.1f}M params), "
        f"device {model.device}, torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads"
    )
    print(
        f"setup: {args.problems} MATH-500 prompts (qwen-math), greedy, batch {args.batch_size}, "
        f"max_new_tokens {args.max_new_tokens}, {args.repeats} alternating repeats"
    )
    print(f"bare model.generate: {bare:.1f} generated tokens/s (median)")
    print(f"rlvr eval hf backend: {harness:.1f} generated tokens/s (median)")
    print(
        f"ratio harness/bare: {harness / bare:.3f}x (goal >= 0.9x: {'PASS' if harness / bare >= 0.9 else 'FAIL'})"
    )
    cpu_ratio = statistics.median(harness_cpu) / statistics.median(bare_cpu)
    print(
        f"per CPU-second of this process: bare {statistics.median(bare_cpu):.1f}, harness "
        f"{statistics.median(harness_cpu):.1f} tokens/s, ratio {cpu_ratio:.3f}x (less sensitive to other load)"
    )
    print(
        f"harness time outside model.generate (planning, prompts, decoding, grading, writing): "
        f"{100 * statistics.median(overheads):.2f}% (median; load-independent measure of the overhead)"
    )


if __name__ == "__main__":
    main()
