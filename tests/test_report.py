"""The static report: synthetic run dirs + eval dirs -> index.html, index.md, PNGs; rendered in headless
Chromium to check that the tables and every image actually load offline.

Chromium: /usr/bin/chromium (scripts/ensure-chromium.sh installs it). The browser test is skipped only
when Chromium is missing outside CI; in CI (CI=true) a missing browser fails.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.report.html import write_report

CHROMIUM = Path("/usr/bin/chromium")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _make_run(root: Path, name: str, reward: str, code_slope: float, with_eval: bool = True) -> Path:
    """A RUN_DIR with metrics.jsonl (schema of rlvrlab.train.callbacks), config.yaml and a nested eval."""
    run = root / name
    run.mkdir(parents=True)
    rows = []
    for step in range(1, 11):
        row = {
            "step": step,
            f"reward/{reward}/mean": 0.5 + 0.01 * step,
            "reward/total/mean": 0.5 + 0.01 * step,
            "train/accuracy": 0.3 + code_slope * step,
            "train/code_rate": min(1.0, 0.5 + code_slope * step),
            "clip/low_fraction": 0.002 * step,
            "clip/high_fraction": 0.001 * step,
            "policy/mean_token_prob": 0.8 + 0.01 * step,
            "policy/entropy": 0.6 - 0.02 * step,
            "completion/mean_length": 200 - step,
            "time/step_s": 1.0,
        }
        if step % 5 == 0:
            row.update({"eval/math500/accuracy": 0.3 + code_slope * step, "eval/math500/code_rate": 0.6})
        rows.append(row)
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (run / "config.yaml").write_text(f"reward: {reward}\n")
    if with_eval:
        _make_eval(run / "eval", code_share=0.5 + 5 * code_slope)
    return run


def _make_eval(folder: Path, code_share: float, n: int = 40, k: int = 2) -> Path:
    """An EVAL_DIR: code samples are right more often than prose ones, as in Qwen2.5-Math."""
    folder.mkdir(parents=True)
    rows = []
    for p in range(n):
        for j in range(k):
            code = (p * k + j) % 10 < round(10 * code_share)
            text = "```python\nx = 1\nprint(x)\n```\n\\boxed{1}" if code else "In words: \\boxed{2}"
            correct = (p + j) % (2 if code else 5) == 0
            rows.append(
                dict(benchmark="math500", problem_id=f"p{p}", sample_index=j, response=text, extracted="1",
                     correct=correct, n_tokens=50, finish_reason="length" if p == 0 else "stop")
            )  # fmt: skip
    (folder / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report_inputs")
    inputs = [
        _make_eval(root / "base", code_share=0.4),
        _make_run(root / "runs", "random", "random_0.5", 0.03),
        _make_run(root / "runs", "format", "format", 0.01),
        _make_run(root / "runs", "no_eval", "ground_truth", 0.02, with_eval=False),
    ]
    out = root / "report"
    index = write_report(inputs, out, title="Synthetic report", n_boot=100)
    assert index == out / "index.html"
    return out


def test_report_files_and_links(report_dir: Path) -> None:
    page = (report_dir / "index.html").read_text()
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) >= 8  # curve panels + eval bars + two transition plots
    for name in images:
        assert "/" not in name and (report_dir / name).read_bytes()[:8] == PNG_MAGIC
    assert not re.search(r"<script|https?://", page)  # offline: no JS, no remote assets
    assert page.count("<table>") == 5  # runs, evals, contributions, two transition tables
    for text in ("random/eval", "format/eval", "base -&gt; random/eval", "Lang-&gt;Code", "Clip fractions"):
        assert text in page
    markdown = (report_dir / "index.md").read_text()
    assert all(f"]({name})" in markdown for name in images)
    assert "| Code->Code |" in markdown and "# Synthetic report" in markdown


def test_report_tables_carry_the_numbers(report_dir: Path) -> None:
    """The base eval: 40 problems x 2, 40% code; code samples correct when (p+j) even, prose when (p+j)%5==0."""
    markdown = (report_dir / "index.md").read_text()
    row = next(line for line in markdown.splitlines() if line.startswith("| base | math500"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2] == "40 x 2" and cells[4] == "40.0"
    assert cells[11] == "2.5"  # one problem of 40 truncated
    run_row = next(line for line in markdown.splitlines() if line.startswith("| no_eval |"))
    assert "ground_truth" in run_row and "| 10 |" in run_row


def test_report_rejects_unknown_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="neither a run dir"):
        write_report([tmp_path], tmp_path / "out")


def test_cli_report(tmp_path: Path) -> None:
    base, after = _make_eval(tmp_path / "a", 0.3), _make_eval(tmp_path / "b", 0.8)
    result = CliRunner().invoke(
        app, ["report", str(base), str(after), "--out", str(tmp_path / "r"), "--baseline", "b"]
    )
    assert result.exit_code == 0, result.output
    assert "b -&gt; a" in (tmp_path / "r" / "index.html").read_text()


_MARK_LOADED = """<script>
window.addEventListener("load", function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; }
  }
  document.body.setAttribute("data-images", ok + "/" + imgs.length);
  document.body.setAttribute("data-tables", document.querySelectorAll("table tbody tr").length);
});
</script>"""


def _chromium(*args: str, user_dir: Path) -> subprocess.CompletedProcess[str]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    flags += [f"--user-data-dir={user_dir}", "--virtual-time-budget=5000"]
    return subprocess.run([str(CHROMIUM), *flags, *args], capture_output=True, text=True, timeout=90)


def test_report_renders_in_headless_chromium(report_dir: Path, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium missing in CI: run scripts/ensure-chromium.sh")
        pytest.skip("chromium not installed (scripts/ensure-chromium.sh installs it)")
    page = (report_dir / "index.html").read_text()
    probe = report_dir / "probe.html"  # the report has no JS; the probe copy adds the checker
    probe.write_text(page.replace("</body>", _MARK_LOADED + "</body>"))
    dom = _chromium("--dump-dom", probe.as_uri(), user_dir=tmp_path / "profile1").stdout
    n_images = len(re.findall(r"<img ", page))
    assert f'data-images="{n_images}/{n_images}"' in dom
    n_rows = int(re.search(r'data-tables="(\d+)"', dom).group(1))
    assert n_rows == page.count("<tr>") - page.count("<thead>") > 10
    shot = tmp_path / "shot.png"
    _chromium("--hide-scrollbars", "--window-size=1280,3000", f"--screenshot={shot}", (report_dir / "index.html").as_uri(),
              user_dir=tmp_path / "profile2")  # fmt: skip
    assert shot.read_bytes()[:8] == PNG_MAGIC and shot.stat().st_size > 50_000
    if os.environ.get("RLVR_KEEP_SCREENSHOT"):
        Path(os.environ["RLVR_KEEP_SCREENSHOT"]).write_bytes(shot.read_bytes())
