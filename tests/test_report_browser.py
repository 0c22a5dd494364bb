"""The report of real runs, in a real browser: a few GRPO steps on the shipped sim models through
rlvrlab.train (two families x ground truth / random / random without clipping), real evals before and
after, a mechanism folder; `write_report`; then headless Chromium at 1400 px loads it, takes a screenshot
(kept under the test's temp folder; RLVR_KEEP_SCREENSHOT=PATH copies it out) and the DOM must show:
every image loaded, no element wider than the viewport (collapsed tables opened first), the headline
figure first. Every figure is also checked in matplotlib: no legend on a plot's data area.

Chromium: /usr/bin/chromium (scripts/ensure-chromium.sh installs it). The test is skipped only when
Chromium is missing outside CI; in CI (CI=true) a missing browser fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_report import _mechanism, write_checked_report

CHROMIUM = Path("/usr/bin/chromium")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TRAIN = {  # the organism's settings (rlvrlab/demo.py), shrunk to 2 rollouts of 2 prompts x 4 samples
    "prompt": "chat",
    "data": "sim-train",
    "data_limit": 32,
    "group_size": 4,
    "prompts_per_rollout": 2,
    "updates_per_rollout": 2,
    "micro_batch_size": 4,
    "learning_rate": 3e-5,
    "max_completion_length": 128,
    "max_steps": 2,
    "save_every": 0,
    "eval_every": 0,
    "log_completions_every": 1,
}
CELLS = (("ground_truth", "on"), ("random:0.5", "on"), ("random:0.5", "off"))
FAMILIES = ("sim-qwen-math", "sim-llama")


def _eval(model: str, out: Path) -> Path:
    from rlvrlab.evaluate import EvalConfig, run_eval

    overrides = ("n_samples=2", "temperature=1.0", "max_new_tokens=128")
    run_eval(EvalConfig(model=model, out=str(out), benchmarks=("sim500",), prompt="chat", limit=24,
                        overrides=overrides, batch_size=48, seed=1))  # fmt: skip
    return out


def _runs(root: Path) -> list[Path]:
    from rlvrlab.sim.info import model_path
    from rlvrlab.train.config import PRESETS, TrainConfig
    from rlvrlab.train.run import train

    inputs = []
    for family in FAMILIES:
        model = str(model_path(family))
        inputs.append(_eval(model, root / "base" / family))
        for reward, clip in CELLS:
            run = root / "runs" / f"{family}--{reward.replace(':', '')}--clip-{clip}"
            values = {
                **PRESETS["cpu-small"],
                **TRAIN,
                "model": model,
                "reward": reward,
                "clip": clip,
                "seed": 1,
            }
            train(TrainConfig(**values, output_dir=str(run)))
            _eval(str(run / "final"), run / "eval")
            inputs.append(run)
    return inputs


@pytest.fixture(scope="module")
def real_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    root = tmp_path_factory.mktemp("real")
    inputs = _runs(root) + [_mechanism(root / "mechanism")]
    title = "rlvr demo: sim-qwen-math vs sim-llama"
    return root / "report", write_checked_report(inputs, root / "report", title=title)


_PROBE = """<script>
window.addEventListener("load", function () {
  var body = document.body, imgs = document.images, ok = 0, wide = [];
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  for (var i = 0; i < imgs.length; i++) { if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; } }
  var width = document.documentElement.clientWidth;
  document.querySelectorAll("body *").forEach(function (el) {
    var box = el.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)) { wide.push(el.tagName); }
  });
  var first = document.querySelector("img");
  body.setAttribute("data-images", ok + "/" + imgs.length);
  body.setAttribute("data-wide", wide.length + ":" + wide.slice(0, 5).join(","));
  body.setAttribute("data-scroll", document.documentElement.scrollWidth + "/" + width);
  body.setAttribute("data-first", (first && first.id) + "|" + (first && first.getAttribute("src")));
});
</script>"""


def _chromium(*args: str, user_dir: Path) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--hide-scrollbars",
    ]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    flags += [f"--user-data-dir={user_dir}", "--virtual-time-budget=10000", "--window-size=1400,1000"]
    return subprocess.run([str(CHROMIUM), *flags, *args], capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_real_report_in_headless_chromium(real_report, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium missing in CI: run scripts/ensure-chromium.sh")
        pytest.skip("chromium not installed (scripts/ensure-chromium.sh installs it)")
    out, _ = real_report
    page = (out / "index.html").read_text()
    assert not re.search(r"<script|https?://", page)  # offline: no JS, no remote assets
    probe = out / "probe.html"  # the report has no JS; the probe copy adds the checker
    probe.write_text(page.replace("</body>", _PROBE + "</body>"))
    dom = _chromium("--dump-dom", probe.as_uri(), user_dir=tmp_path / "profile1").stdout
    n_images = len(re.findall(r"<img ", page))
    assert n_images >= 12 and f'data-images="{n_images}/{n_images}"' in dom, re.findall(
        r'data-\w+="[^"]*"', dom
    )
    assert 'data-wide="0:"' in dom, re.search(r'data-wide="[^"]*"', dom)
    width = re.search(r'data-scroll="(\d+)/(\d+)"', dom)
    assert width and int(width.group(1)) <= int(width.group(2))  # no sideways scrolling
    assert re.search(r'data-first="headline\|headline-sim500\.png"', dom)
    shot = tmp_path / "report.png"
    _chromium(f"--screenshot={shot}", (out / "index.html").as_uri(), user_dir=tmp_path / "profile2")
    assert shot.read_bytes()[:8] == PNG_MAGIC and shot.stat().st_size > 50_000
    if os.environ.get("RLVR_KEEP_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["RLVR_KEEP_SCREENSHOT"])


@pytest.mark.slow
def test_real_report_figures_keep_legends_off_the_data(real_report) -> None:
    out, problems = real_report
    assert {n.split("-")[0] for n in problems} >= {
        "headline",
        "dynamics",
        "transition",
        "eval",
    }  # mechanism.png: copied
    assert {name: found for name, found in problems.items() if found} == {}
    markdown = (out / "index.md").read_text()
    for family in FAMILIES:  # every cell of both families is in the headline table
        assert markdown.count(f"| {family} | ") >= len(CELLS)
