"""The static report from synthetic run / eval / mechanism folders: cells and pairing, the headline numbers
(checked against rlvrlab.stats.pooled_change on hand-built tables), escaping, partial contributions, the
mechanism reader, and the layout of every figure (legends off the data, tick labels apart, all inside).

The browser test over a report of real GRPO runs is tests/test_report_browser.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from rlvrlab.analysis.cells import cell_changes, group_cells, pair_runs, paired_changes, read_eval_dir
from rlvrlab.analysis.evals import transitions
from rlvrlab.analysis.runs import load_run
from rlvrlab.cli import app
from rlvrlab.report import plots
from rlvrlab.report.html import write_report
from rlvrlab.report.mechanism import load_mechanism
from rlvrlab.report.tables import md_code, md_text, number, pct
from rlvrlab.stats import pooled_change

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CODE = "```python\nx = 1\nprint(x)\n```\n\\boxed{1}"
PROSE = "In words: \\boxed{2}"


def make_eval(folder: Path, pattern: list[tuple[bool, bool]], model: str = "m", seed: int | None = 1) -> Path:
    """An EVAL_DIR: problem p gets sample (code, correct) = pattern[p % len(pattern)], one sample each."""
    folder.mkdir(parents=True)
    rows = [
        dict(benchmark="math500", problem_id=f"p{p}", sample_index=0, response=CODE if code else PROSE,
             extracted="1", correct=correct, n_tokens=50, finish_reason="stop")
        for p, (code, correct) in ((p, pattern[p % len(pattern)]) for p in range(40))
    ]  # fmt: skip
    (folder / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "config.json").write_text(json.dumps({"model": model, "seed": seed}))
    return folder


def make_run(root: Path, name: str, config: dict, final_pattern: list[tuple[bool, bool]] | None) -> Path:
    """A RUN_DIR: metrics.jsonl (schema of rlvrlab.train.callbacks), config.yaml, a nested final eval."""
    run = root / name
    run.mkdir(parents=True)
    rows = [
        {"step": s, "reward/total/mean": 0.5, "train/accuracy": 0.3 + 0.02 * s, "train/code_rate": 0.5 + 0.03 * s,
         "clip/low_fraction": 0.002 * s, "clip/high_fraction": 0.001 * s, "policy/mean_token_prob": 0.8 + 0.01 * s,
         "policy/entropy": 0.6 - 0.02 * s}
        for s in range(1, 11)
    ]  # fmt: skip
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (run / "config.yaml").write_text(yaml.safe_dump({**config, "output_dir": str(run)}))
    if final_pattern is not None:
        make_eval(run / "eval", final_pattern, model=str(run / "final"), seed=config.get("seed"))
    return run


BASE = [(True, True), (False, False), (False, True), (True, False)]  # 50% code, 50% correct
UP = [(True, True), (True, True), (False, True), (True, False)]  # 75% code, 75% correct


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two models; model A has base evals for seeds 1 and 2, three reward cells, two seeds of `random`."""
    root = tmp_path_factory.mktemp("inputs")
    found = [
        make_eval(root / "base-a-1", BASE, "models/A", 1),
        make_eval(root / "base-a-2", UP, "models/A", 2),
    ]
    found.append(make_eval(root / "base-b", BASE, "models/<b>", None))
    for seed in (1, 2):
        found.append(
            make_run(
                root, f"a-random-{seed}", {"model": "models/A", "reward": "random:0.5", "seed": seed}, UP
            )
        )
    found.append(
        make_run(
            root, "a-noclip", {"model": "models/A", "reward": "random:0.5", "clip": "off", "seed": 1}, BASE
        )
    )
    found.append(make_run(root, "b-gt", {"model": "models/<b>", "reward": "ground_truth", "seed": 1}, UP))
    found.append(make_run(root, "b-noeval", {"model": "models/<b>", "reward": "format", "seed": 1}, None))
    return found  # fmt: skip


@pytest.fixture(scope="module")
def report(inputs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    """One report over the inputs plus a mechanism folder; every figure's layout problems, checked from
    the artists' bounding boxes just before it is saved."""
    out = tmp_path_factory.mktemp("report")
    mechanism = _mechanism(tmp_path_factory.mktemp("mech") / "lab", png=False)
    return out, write_checked_report([*inputs, mechanism], out, title="T <i>&")


def write_checked_report(inputs: list[Path], out: Path, title: str) -> dict[str, list[str]]:
    """`write_report`, recording each figure's layout problems (`plots.layout_problems`, from the artists'
    bounding boxes) just before it is saved: {png name: problems}."""
    problems: dict[str, list[str]] = {}
    save = plots.save_figure

    def checked(fig, path):
        problems[Path(path).name] = plots.layout_problems(fig)
        save(fig, path)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plots, "save_figure", checked)
        write_report(inputs, out, title=title, n_boot=200)
    return problems


def _load(inputs: list[Path]):
    runs = [load_run(p) for p in inputs if (p / "metrics.jsonl").exists()]
    evals = [read_eval_dir(p, p.name) for p in inputs if (p / "samples.jsonl").exists()]
    evals += [read_eval_dir(r.path / "eval", f"{r.name}/eval") for r in runs if (r.path / "eval").exists()]
    return runs, evals


def test_runs_group_into_cells_and_pair_with_the_same_seed_base(inputs: list[Path]) -> None:
    pairs, bases = pair_runs(*_load(inputs))
    assert sorted(b.name for b in bases) == ["base-a-1", "base-a-2", "base-b"]
    by_run = {p.run.name: p for p in pairs}
    assert by_run["a-random-1"].base.name == "base-a-1" and by_run["a-random-2"].base.name == "base-a-2"
    assert by_run["b-gt"].base.name == "base-b" and by_run["b-noeval"].final is None
    assert by_run["a-random-2"].final.name == "a-random-2/eval"
    cells = group_cells(pairs)
    assert [(c.group, c.label, len(c.pairs)) for c in cells] == [
        ("<b>", "ground_truth", 1),
        ("<b>", "format", 1),
        ("A", "random:0.5", 2),
        ("A", "random:0.5 · clip off", 1),
    ]


def test_cells_of_one_reward_are_named_by_what_sets_them_apart(tmp_path: Path) -> None:
    """Four random-reward runs of one model: the recipe most share keeps the plain label; each other run
    names only its own differing keys (the demo's on-policy and learning-rate dose cells)."""
    variants = {"main": {}, "onpolicy": {"updates_per_rollout": 1}, "lr": {"learning_rate": 0.01},
                "wide": {"group_size": 16, "updates_per_rollout": 1}}  # fmt: skip
    runs = []
    for name, changes in variants.items():
        run = tmp_path / name
        run.mkdir()
        config = {"model": "m/sim", "reward": "random:0.5", "seed": 1, "output_dir": str(run),
                  "updates_per_rollout": 4, "learning_rate": 0.002, "group_size": 8, **changes}  # fmt: skip
        (run / "config.yaml").write_text(yaml.safe_dump(config))
        (run / "metrics.jsonl").write_text('{"step": 1, "reward/total/mean": 0.5}\n')
        runs.append(load_run(run))
    labels = {c.pairs[0].run.name: c.label for c in group_cells(pair_runs(runs, [])[0])}
    assert labels == {
        "main": "random:0.5",
        "onpolicy": "random:0.5 · updates_per_rollout=1",
        "lr": "random:0.5 · learning_rate=0.01",
        "wide": "random:0.5 · group_size=16, updates_per_rollout=1",
    }


def test_headline_numbers_are_the_pooled_change(inputs: list[Path], report) -> None:
    """Model A random: seed 1 goes BASE -> UP (+25 points), seed 2 UP -> UP (0): the pooled change over
    the 2 x 40 table, as rlvrlab.stats.pooled_change gives it."""
    base = np.array([float(BASE[p % 4][1]) for p in range(40)])
    up = np.array([float(UP[p % 4][1]) for p in range(40)])
    expected = pooled_change(np.stack([up - base, up - up]))
    markdown = (report[0] / "index.md").read_text()
    row = next(line for line in markdown.splitlines() if line.startswith("| A | random:0.5 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    low, high = (number(100 * v, 1, sign=True) for v in expected.ci95)
    assert cells[3:6] == ["2", "40", "62.5 -> 75.0"]  # seeds, problems, base -> final (mean over seeds)
    assert cells[6].strip("*") == f"{number(100 * expected.mean, 1, sign=True)} [{low}, {high}]"
    folders = [(inputs[0], inputs[3] / "eval"), (inputs[1], inputs[4] / "eval")]
    order = sorted(range(40), key=lambda p: f"p{p}")  # problems in id order
    assert np.allclose(paired_changes(folders), np.stack([up - base, up - up])[:, order])


def test_report_page_escapes_and_links(report) -> None:
    out = report[0]
    page = (out / "index.html").read_text()
    assert "&lt;b&gt;" in page and "<b>" not in page.replace("<b>+", "").replace("<b>-", "")  # model "<b>"
    assert "<title>T &lt;i&gt;&amp;</title>" in page and not re.search(r"<script|https?://", page)
    images = re.findall(r'<img[^>]* src="([^"]+)"', page)
    assert images[0].startswith("headline-") and 'id="headline"' in page.split("<img", 2)[1]
    for name in images:
        assert "/" not in name and (out / name).read_bytes()[:8] == PNG_MAGIC
    markdown = (out / "index.md").read_text()
    assert all(f"]({name})" in markdown for name in images)
    assert "&lt;b>" in markdown and "<b>" not in markdown and "# T &lt;i>&amp;" in markdown
    assert "-0.0" not in page and "-0.0" not in markdown
    grid = re.findall(r'<figure style="max-width:(\d+)px"><img[^>]* width="(\d+)"', page)
    assert grid and all(int(box) == int(img) + 2 for box, img in grid)  # transition captions wrap


def test_partial_contributions_only_when_significant(report) -> None:
    """a-noclip: BASE -> BASE (no change): n/a; b-gt: BASE -> UP, +25 points on 40 problems: shares."""
    markdown = (report[0] / "index.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in markdown.splitlines() if " · seed 1 |" in line}
    noclip = rows["A · random:0.5 · clip off · seed 1"]
    assert noclip.count("n/a") == 4
    gt = [c.strip() for c in rows["&lt;b> · ground\\_truth · seed 1"].strip("|").split("|")]
    assert gt[3:] == ["0%", "0%", "100%", "0%"]  # every gain is a Lang problem turned Code


def test_every_figure_keeps_legends_off_the_data(report) -> None:
    """Every figure the report draws: no legend on an axes' data area, tick labels apart and inside."""
    problems = report[1]
    kinds = {name.split("-")[0] for name in problems}
    assert len(problems) >= 10 and kinds >= {"headline", "dynamics", "transition", "eval", "mechanism"}
    assert {name: found for name, found in problems.items() if found} == {}


def test_headline_packs_each_models_bars_and_twins_sit_side_by_side(inputs: list[Path]) -> None:
    """Model <b> has one reward cell, A two: every model's bars sit side by side around its own tick (no
    empty slots for rewards it lacks), and a clip-off panel shares a row with its clip-on twin."""
    cells = group_cells(pair_runs(*_load(inputs))[0])
    changes = [c for cell in cells for c in cell_changes(cell)]
    fig = plots.headline_figure(changes, "math500")
    centres = sorted(bar.get_x() + bar.get_width() / 2 for bar in fig.axes[0].patches)
    assert centres == [0.5, 3.0, 4.0]  # <b>: 1 bar, a gap of 1.5 bars, A: 2 bars
    assert list(fig.axes[1].get_xticks()) == [0.5, 3.5]  # each model's name under its own bars
    plots._pyplot().close(fig)
    names = [
        "ground_truth",
        "format",
        "random",
        "random · lr=1",
        "random · lr=2",
        "random · clip off",
        "python",
    ]
    assert plots.twin_slots(names, 4) == [0, 1, 2, 5, 3, 4, 6]
    assert plots.twin_slots(["a", "b", "c", "c · clip off"], 3) == [0, 1, None, 2, 3]  # one row per pair


def test_transition_figure_without_change_has_a_plain_axis(tmp_path: Path) -> None:
    same = read_eval_dir(make_eval(tmp_path / "a", BASE), "a").sets[0]
    fig = plots.transition_figure(transitions(same, same), "a -> a")
    ax = fig.axes[0]
    assert ax.get_ylim() == (-1, 1) and ax.yaxis.get_offset_text().get_text() == ""
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "Code→Code\n50%"
    assert plots.layout_problems(fig) == []
    plots._pyplot().close(fig)


def test_layout_check_catches_a_legend_on_the_data() -> None:
    plt = plots._pyplot()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(range(10), label="a line")
    ax.legend(loc="center")
    assert any("legend overlaps" in p for p in plots.layout_problems(fig))
    ax.set_xticks(range(10), ["a long tick label"] * 10)
    assert any("tick labels overlap" in p for p in plots.layout_problems(fig))
    plt.close(fig)


def _mechanism(folder: Path, png: bool = True, arms: list | None = None) -> Path:
    folder.mkdir(parents=True)
    arms = arms or [
        {"arm": "clip on", "share_majority": 0.9, "share_majority_ci95": [0.7, 0.97], "mean_p_majority": 0.95,
         "p_majority_start": 0.65, "expected_accuracy_start": 0.5, "expected_accuracy_end": 0.59,
         "config": {"p_start": [0.65, 0.35]}, "p_mode": [[0.65, 0.35], [0.8, 0.2], [0.95, 0.05]],
         "expected_accuracy": [0.5, 0.55, 0.59]},
        {"arm": "clip <off>", "share_majority": 0.5, "p_mode": [0.65, 0.6, 0.62], "expected_accuracy": "bad"},
    ]  # fmt: skip
    (folder / "mechanism.json").write_text(json.dumps(arms))
    if png:
        plt = plots._pyplot()
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1])
        plots.save_figure(fig, folder / "mechanism.png")
    return folder


def test_mechanism_folder_is_read_defensively(tmp_path: Path) -> None:
    mechanism = load_mechanism(_mechanism(tmp_path / "m", png=False))
    on, off = mechanism.arms
    assert on.p_majority == [0.65, 0.8, 0.95] and on.share_ci == (0.7, 0.97)
    assert (
        off.p_majority == [0.65, 0.6, 0.62]
        and off.expected_accuracy == []
        and off.fields["mean_p_majority"] is None
    )
    index = write_report([tmp_path / "m"], tmp_path / "out")
    page = index.read_text()
    assert "clip &lt;off&gt;" in page and "90.0 [70.0,&nbsp;97.0]" in page and "0.650 -&gt; 0.950" in page
    assert re.search(r'<img[^>]* src="mechanism-m\.png"', page)  # drawn from the trajectories
    copied = write_report([_mechanism(tmp_path / "m2")], tmp_path / "out2").read_text()
    assert (tmp_path / "out2" / "mechanism-m2.png").read_bytes() == (
        tmp_path / "m2" / "mechanism.png"
    ).read_bytes()
    assert "mechanism-m2.png" in copied  # fmt: skip
    with pytest.raises(ValueError, match="non-empty list"):
        load_mechanism(_empty(tmp_path))
    with pytest.raises(ValueError, match="arm 1: .*string 'arm'"):
        load_mechanism(_mechanism(tmp_path / "noname", arms=[{"share_majority": 1}]))
    (tmp_path / "torn").mkdir()
    (tmp_path / "torn" / "mechanism.json").write_text("[{")
    with pytest.raises(ValueError, match=r"torn/mechanism.json: cannot read"):
        write_report([tmp_path / "torn"], tmp_path / "out3")


def _empty(tmp_path: Path) -> Path:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "mechanism.json").write_text("[]")
    return tmp_path / "empty"


def test_formatting_never_prints_minus_zero_and_escapes_markdown() -> None:
    assert number(-0.04) == "0.0" and number(-0.0001, sign=True) == "+0.0" and pct(-0.0004) == "0.0"
    assert number(float("nan")) == "-" and number(None) == "-" and pct(0.524) == "52.4"
    assert md_text("a|b *c* [x](y) <i> -> &") == "a\\|b \\*c\\* [x]\\(y) &lt;i> -> &amp;"
    assert md_code("a ``b`` c") == "``` a ``b`` c ```"


def test_report_rejects_unknown_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="neither a run dir"):
        write_report([tmp_path], tmp_path / "out")


def test_cli_report_evals_only_with_baseline(tmp_path: Path) -> None:
    base, after = make_eval(tmp_path / "a", BASE), make_eval(tmp_path / "b", UP)
    result = CliRunner().invoke(
        app, ["report", str(base), str(after), "--out", str(tmp_path / "r"), "--baseline", "b"]
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r" / "index.html").read_text()
    assert "b -&gt; a" in page and 'id="headline"' in page  # fmt: skip
