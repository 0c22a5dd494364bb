"""Prompt templates: how a problem becomes the text the model continues.

Presets (the `--prompt` option everywhere):
- `qwen-math`: the tokenizer's chat template, system prompt = Qwen2.5-Math's default (the paper's setup).
- `chat`: the tokenizer's chat template with the user turn only (no system prompt).
- `r1`: R1-style plain-text template for base models without a chat template; generation stops at
  "</answer>" and answers are extracted from the last <answer>...</answer>.
- `code-forcing`: `qwen-math` plus the prefill "Let's solve this using Python." after the generation
  prompt (the paper's code-reasoning intervention).
- the prompt-sensitivity set of the paper's Table 5 (besides `qwen-math`, its default): `math-problem`
  (plain "Math Problem: ..." text), `simplerl-zoo` (SimpleRL-Zoo's chat prompt: a helpful-assistant system
  turn, the instruction after the problem), `sober` (the "Sober look" / lighteval MATH instruction before the
  problem, in the chat template), `no-template` (the bare problem text). The wording of these four is
  reconstructed from the cited projects' public prompts, not copied from the paper's appendix: check it
  against the paper before quoting a number as the paper's.
- any other string containing `{problem}`: a user template rendered with str.format-free replacement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

QWEN_MATH_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."
CODE_PREFILL = "Let's solve this using Python."
R1_TEMPLATE = (
    "A conversation between User and Assistant. The User asks a question, and the Assistant solves it. "
    "The Assistant first thinks about the reasoning process in the mind and then provides the User with "
    "the answer. The reasoning process is enclosed within <think> </think> and the answer is enclosed "
    "within <answer> </answer> tags, respectively, i.e., <think> reasoning process here </think> "
    "<answer> answer here </answer>.\nUser: {problem}\nAssistant: <think>"
)
SIMPLERL_ZOO_SYSTEM = "You are a helpful assistant."
SIMPLERL_ZOO_TEMPLATE = "{problem}\nPlease reason step by step, and put your final answer within \\boxed{}."
SOBER_TEMPLATE = (
    "Solve the following math problem efficiently and clearly.  The last line of your response should be of "
    "the following format: 'Therefore, the final answer is: $\\boxed{ANSWER}$. I hope it is correct' "
    "(without quotes) where ANSWER is just the final number or expression that solves the problem. Think "
    "step by step before answering.\n\n{problem}"
)
MATH_PROBLEM_TEMPLATE = "Math Problem: {problem}\nAnswer:"
PRESETS = ("qwen-math", "chat", "r1", "code-forcing", "math-problem", "simplerl-zoo", "sober", "no-template")
TABLE5_PROMPTS = ("qwen-math", "math-problem", "simplerl-zoo", "sober", "no-template")
"""The prompt-sensitivity set of the paper's Table 5 (the default first)."""


@dataclass(frozen=True)
class PromptSpec:
    """A resolved prompt choice. `stop` lists stop strings generation must honour; `answer_mode` tells
    the grader where the answer lives ("paper": boxed/phrases/last number, "r1": <answer> tags)."""

    name: str
    system: str | None = None
    user_template: str = "{problem}"
    use_chat_template: bool = True
    prefill: str = ""
    stop: tuple[str, ...] = ()
    answer_mode: str = "paper"

    def render(self, problem: str, tokenizer: Any = None) -> str:
        """Render one prompt. Chat presets need a tokenizer with a chat template."""
        user = self.user_template.replace("{problem}", problem)
        if not self.use_chat_template:
            return user + self.prefill
        if tokenizer is None or not getattr(tokenizer, "chat_template", None):
            raise ValueError(
                f"prompt preset {self.name!r} needs a tokenizer with a chat template; this tokenizer has "
                "none: use --prompt r1 or a template string containing {problem} for base models"
            )
        messages = ([{"role": "system", "content": self.system}] if self.system else []) + [
            {"role": "user", "content": user}
        ]
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return text + self.prefill


def get_prompt(name: str) -> PromptSpec:
    """Resolve a preset name or a user template string (must contain `{problem}`)."""
    if name == "qwen-math":
        return PromptSpec(name, system=QWEN_MATH_SYSTEM)
    if name == "chat":
        return PromptSpec(name)
    if name == "code-forcing":
        return PromptSpec(name, system=QWEN_MATH_SYSTEM, prefill=CODE_PREFILL)
    if name == "r1":
        return PromptSpec(
            name, user_template=R1_TEMPLATE, use_chat_template=False, stop=("</answer>",), answer_mode="r1"
        )
    if name == "math-problem":
        return PromptSpec(name, user_template=MATH_PROBLEM_TEMPLATE, use_chat_template=False)
    if name == "simplerl-zoo":
        return PromptSpec(name, system=SIMPLERL_ZOO_SYSTEM, user_template=SIMPLERL_ZOO_TEMPLATE)
    if name == "sober":
        return PromptSpec(name, user_template=SOBER_TEMPLATE)
    if name == "no-template":
        return PromptSpec(name, use_chat_template=False)
    if "{problem}" in name:
        return PromptSpec("custom", user_template=name, use_chat_template=False)
    raise ValueError(
        f"unknown prompt {name!r}: use one of {', '.join(PRESETS)} or a template containing {{problem}}"
    )
