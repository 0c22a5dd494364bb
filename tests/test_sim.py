"""The sim organism: tokenizer round trip, world determinism and disjoint splits, shipped models' priors."""

from __future__ import annotations

import json

import pytest
from transformers import AutoTokenizer, LlamaConfig, Qwen2Config

from rlvrlab.sim.info import MODELS_DIR, is_correct, uses_code
from rlvrlab.sim.tokenizer import build_tokenizer, render_prompt, save_tokenizer
from rlvrlab.sim.world import (
    SLOPPY_FROM,
    SOLVERS,
    CorpusMix,
    WorldConfig,
    benchmarks_dir,
    build_corpus,
    make_splits,
)

SMALL = WorldConfig(n_ops=2, max_digit=6, n_test=50, n_train=100, n_pretrain=300)


@pytest.fixture(scope="module")
def shipped_splits():
    return make_splits(WorldConfig(n_pretrain=20_000))


def _texts(problems) -> list[str]:
    out = []
    for p in problems[:20]:
        out += [p.text] + [solve(p, boxed=i % 2 == 0) for i, solve in enumerate(SOLVERS.values())]
    return out + ["  two  spaces\n\nand \\boxed{ {nested} } ~`|", "A: \\frac{1}{2}\t?"[:-2]]


@pytest.mark.parametrize("config_class", [Qwen2Config, LlamaConfig, None])
def test_tokenizer_round_trip_through_auto_tokenizer(tmp_path, config_class):
    """AutoTokenizer picks Qwen2Tokenizer for a qwen2 folder: ids and text must survive whatever class."""
    tok = build_tokenizer()
    if config_class is not None:
        config_class(vocab_size=len(tok)).save_pretrained(tmp_path)
    save_tokenizer(tok, tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    splits = make_splits(SMALL)
    for text in _texts(splits["sim500"]) + [render_prompt(loaded, p.text) for p in splits["sim500"][:5]]:
        ids = loaded(text, add_special_tokens=False)["input_ids"]
        assert ids == tok(text, add_special_tokens=False)["input_ids"]
        assert len(ids) == len(text)
        assert loaded.decode(ids) == text
    assert (loaded.pad_token_id, loaded.eos_token_id) == (0, 1)
    assert loaded.decode([5, 1, 0], skip_special_tokens=True) == loaded.decode([5])


def test_chat_template_is_short_and_skips_system_turns():
    tok = build_tokenizer()
    assert render_prompt(tok, "Compute 1 + 2.") == "Q: Compute 1 + 2.\nA: "
    messages = [{"role": "system", "content": "Please reason."}, {"role": "user", "content": "x"}]
    assert tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) == "Q: x\nA: "


def test_world_is_deterministic_and_splits_are_disjoint():
    a, b = make_splits(SMALL), make_splits(SMALL)
    assert [p.row() for p in a["sim500"]] == [p.row() for p in b["sim500"]]
    keys = {name: {(p.numbers, p.signs) for p in ps} for name, ps in a.items()}
    assert [len(keys[n]) for n in ("sim500", "sim-train", "pretrain")] == [50, 100, 300]
    assert not keys["sim500"] & keys["sim-train"]
    assert not keys["sim500"] & keys["pretrain"]
    assert not keys["sim-train"] & keys["pretrain"]


def test_shipped_benchmarks_match_the_generator(shipped_splits):
    for name in ("sim500", "sim-train"):
        lines = (benchmarks_dir() / f"{name}.jsonl").read_text().splitlines()
        rows = [json.loads(line) for line in lines]
        assert rows == [p.row() for p in shipped_splits[name]]
        assert all(set(r) == {"id", "problem", "answer", "source"} for r in rows)
    test_keys = {(p.numbers, p.signs) for p in shipped_splits["sim500"]}
    assert not test_keys & {(p.numbers, p.signs) for p in shipped_splits["pretrain"]}


def test_corpus_solutions_grade_as_designed_and_mix_styles(shipped_splits):
    """Code and careful steps are always right; sloppy prose is wrong exactly when it misreads a late
    subtraction (never by noise); only the code style uses code (the paper's rule); styles follow the mix."""
    problems = shipped_splits["pretrain"][:3000]
    mix = CorpusMix(styles=(("code", 0.5), ("steps", 0.2), ("sloppy", 0.3)), boxed_fraction=0.8)
    docs = build_corpus(problems, mix, seed=0)
    for d, p in zip(docs[:400], problems, strict=False):
        late_minus = any(sign < 0 for sign in p.signs[SLOPPY_FROM:])
        expected = d.style != "sloppy" or not late_minus or sloppy_value(p) == p.answer
        assert is_correct(d.solution, str(p.answer)) == expected, d.solution
    sloppy_right = [is_correct(SOLVERS["sloppy"](p), str(p.answer)) for p in problems[:400]]
    assert 0.2 < sum(sloppy_right) / len(sloppy_right) < 0.35
    assert all(uses_code(d.solution) == (d.style == "code") for d in docs)
    for style, expected in mix.styles:
        assert abs(sum(d.style == style for d in docs) / len(docs) - expected) < 0.03
    boxed = sum("\\boxed{" in d.solution for d in docs) / len(docs)
    assert 0.75 < boxed < 0.85
    with pytest.raises(ValueError, match="sum to 1"):
        CorpusMix(styles=(("code", 0.5),))
    with pytest.raises(ValueError, match="unknown solution styles"):
        CorpusMix(styles=(("poetry", 1.0),))


def sloppy_value(problem) -> int:
    value = problem.numbers[0]
    for k, (sign, n) in enumerate(zip(problem.signs, problem.numbers[1:], strict=True)):
        value += (1 if k >= SLOPPY_FROM else sign) * n
    return value


@pytest.mark.parametrize("name", ["sim-qwen-math", "sim-llama"])
def test_shipped_model_loads_and_is_small(name):
    from transformers import AutoModelForCausalLM

    folder = MODELS_DIR / name
    weights = folder / "model.safetensors"
    assert weights.is_file() and weights.stat().st_size <= 10 * 1024 * 1024
    model = AutoModelForCausalLM.from_pretrained(folder)
    expected = "Qwen2ForCausalLM" if name.startswith("sim-qwen") else "LlamaForCausalLM"
    assert type(model).__name__ == expected
    tok = AutoTokenizer.from_pretrained(folder)
    assert tok.decode(tok(render_prompt(tok, "Compute 1 + 2."))["input_ids"]) == "Q: Compute 1 + 2.\nA: "


@pytest.mark.slow
def test_shipped_priors_fall_in_their_bands():
    """The issue's contract on a fixed 128-problem sim500 subset at T=1 (seed 0)."""
    from rlvrlab.sim.info import model_priors

    qwen_math = model_priors("sim-qwen-math", n=128, seed=0)
    assert 0.55 <= qwen_math.code_rate <= 0.75
    assert qwen_math.accuracy_code >= 2 * qwen_math.accuracy_language
    llama = model_priors("sim-llama", n=128, seed=0)
    assert llama.code_rate <= 0.05


@pytest.mark.slow
def test_pretrain_smoke_saves_a_loadable_family(tmp_path):
    """Two optimizer steps: the saved folder loads through the Auto classes with its provenance."""
    from transformers import AutoModelForCausalLM

    from rlvrlab.sim.pretrain import PretrainConfig, pretrain

    out = pretrain("sim-llama", tmp_path / "m", PretrainConfig(steps=2, batch_size=4, threads=1))
    assert type(AutoModelForCausalLM.from_pretrained(out)).__name__ == "LlamaForCausalLM"
    assert json.loads((out / "sim_family.json").read_text())["family"]["name"] == "sim-llama"
    assert AutoTokenizer.from_pretrained(out).chat_template
