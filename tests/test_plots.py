"""Figures of exposure.plots, and the `exposure plot` / `exposure report` commands."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys

import conftest
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import PORTFOLIOS  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

import exposure as ex  # noqa: E402
from exposure import plots  # noqa: E402

FEW_DATES = ["2023-01-01", "2025-06-30", "2025-09-30", "2025-10-31"]


@pytest.fixture(scope="module")
def web() -> ex.DealWeb:
    return ex.DealWeb.bundled()


@pytest.fixture(scope="module")
def pf() -> ex.Portfolio:
    return ex.Portfolio.from_csv(PORTFOLIOS / "ai_heavy.csv")


@pytest.fixture(scope="module")
def report(pf, web) -> ex.ExposureReport:
    return ex.analyze(pf, web)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def tick_texts(labels) -> list[str]:
    return [t.get_text() for t in labels]


def test_import_exposure_does_not_import_matplotlib():
    code = "import sys, exposure, exposure.plots, exposure.html_report; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_hub_bars_stacks_three_parts_with_a_percent_axis(report):
    fig = plots.hub_bars(report, top=5)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.patches) == 3 * 5  # direct, first order, network for each hub
    assert tick_texts(ax.get_yticklabels())[-1] == report.hubs["name"].iloc[0]  # largest on top
    assert "% of portfolio value" in ax.get_xlabel()
    fig.canvas.draw()
    assert all(t.endswith("%") for t in tick_texts(ax.get_xticklabels()) if t)
    assert [t.get_text() for t in ax.get_legend().get_texts()][0].startswith("direct")
    top_total = f"{100 * report.hubs['total'].iloc[0]:.1f}%"
    assert any(t.get_text().strip() == top_total for t in ax.texts)


def test_layer_mix_single_and_before_after(report, web):
    after = ex.analyze(ex.Portfolio.from_csv(PORTFOLIOS / "sixty_forty.csv"), web)
    one = plots.layer_mix(report)
    assert len(one.axes[0].patches) == len(report.layers)
    assert "semiconductor" in tick_texts(one.axes[0].get_yticklabels())
    two = plots.layer_mix(report, after)
    layers = set(report.layers.index) | set(after.layers.index)
    assert len(two.axes[0].patches) == 2 * len(layers)
    assert [t.get_text() for t in two.axes[0].get_legend().get_texts()] == ["before (light)", "after (solid)"]
    assert "% of portfolio value" in two.axes[0].get_xlabel()


def test_layer_mix_accepts_a_series():
    fig = plots.layer_mix(pd.Series({"semiconductor": 0.6, "cash": 0.4}))
    assert len(fig.axes[0].patches) == 2


def test_deal_web_draws_every_pair_and_labels_without_overlap(web, report):
    fig = plots.deal_web(web, report, hubs=["openai"])
    (ax,) = fig.axes
    pairs = web.deals.loc[web.deals["payer"] != web.deals["payee"], ["payer", "payee"]].drop_duplicates()
    arrows = [a for a in ax.artists + ax.patches if isinstance(a, FancyArrowPatch)]
    assert len(arrows) == len(pairs)
    involved = set(web.deals["payer"]) | set(web.deals["payee"])
    assert len(ax.collections[0].get_offsets()) == len(involved)
    labels = [t for t in ax.texts if t.get_text() and not t.get_text().islower()]
    bold = {t.get_text() for t in labels if t.get_fontweight() == "bold"}
    assert any(text.startswith("OpenAI ") and text.endswith("%") for text in bold)
    titles = {legend.get_title().get_text() for legend in [ax.get_legend(), *ax.artists] if hasattr(legend, "get_title")}
    assert {"layer (node color)", "deal amount (arrow width)"} <= titles
    assert_no_overlap(fig, [t for t in ax.texts if t.get_text() in {n.split(" (")[0] for n in web.companies["name"]}
                            or t.get_fontweight() == "bold"])


def assert_no_overlap(fig, texts) -> None:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer).shrunk(0.96, 0.9)) for t in texts]
    clashes = [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]
    assert not clashes, clashes[:5]


def test_deal_web_stays_readable_with_many_companies():
    from exposure.synthetic import synthetic_dealweb

    big = synthetic_dealweb(90, 200, seed=3)
    fig = plots.deal_web(big)
    (ax,) = fig.axes
    involved = set(big.deals["payer"]) | set(big.deals["payee"])
    assert len(involved) >= 60
    names = [t for t in ax.texts if t.get_text() and t.get_text() not in {"", *map(str, range(10))}]
    assert len([t for t in names if t.get_fontweight() == "bold"]) == 16
    assert_no_overlap(fig, [t for t in names if t.get_position()[1] < 1.02])


def test_exposure_history_grows_and_names_the_deals(pf, web):
    history = plots.exposure_history(pf, web, "OpenAI", dates=FEW_DATES)
    assert list(history.index) == [pd.Timestamp(d) for d in FEW_DATES]
    assert {"direct", "first_order", "network", "total", "change", "new_deals", "drivers"} <= set(history)
    assert history["total"].iloc[-1] > history["total"].iloc[0] + 0.1
    last = history.iloc[-1]
    assert last["drivers"] and set(last["drivers"]) <= set(last["new_deals"])
    # the latest point is the report's number
    assert history["total"].iloc[-1] == pytest.approx(ex.analyze(pf, web.as_of(FEW_DATES[-1])).hub("openai")
                                                      ["total"], abs=1e-9)


def test_exposure_over_time_annotates_the_jumps(pf, web):
    fig = plots.exposure_over_time(pf, web, "openai", dates=FEW_DATES)
    (ax,) = fig.axes
    assert "% of portfolio value" in ax.get_ylabel()
    assert "OpenAI" in ax.get_title()
    notes = [t.get_text() for t in ax.texts]
    assert notes and all(re.match(r"\+\d+\.\d pts on ", n) for n in notes)
    assert any(re.search(r"D\d+ OpenAI \u2192 ", n) for n in notes)


def test_frontier_plot_marks_infeasible_caps():
    frame = pd.DataFrame({"cap": [0.0, 0.05, 0.1, 0.2], "turnover": [float("nan"), 0.6, 0.4, 0.2],
                          "score": [float("nan"), 20, 18, 22], "hub_exposure": [float("nan"), 0.05, 0.1, 0.18],
                          "status": ["infeasible: min_cash", "optimal", "optimal", "optimal"]})
    fig = plots.frontier_plot(frame, hub="OpenAI")
    left, right = fig.axes
    assert "turnover" in left.get_ylabel() and "OpenAI" in left.get_xlabel()
    assert len(left.lines[0].get_xdata()) == 3
    assert "infeasible cap" in [t.get_text() for t in left.get_legend().get_texts()]
    assert len(right.lines) == 3 + 1  # exposure, score, the cap diagonal, the infeasible band


def test_stress_waterfall_adds_up_to_the_portfolio_loss(pf, web):
    result = ex.stress(pf, web, shocks={"openai": 0.5})
    fig = plots.stress_waterfall(result)
    (ax,) = fig.axes
    bars = ax.patches
    assert tick_texts(ax.get_xticklabels())[-1] == "portfolio loss"
    assert bars[-1].get_height() == pytest.approx(result.portfolio_loss)
    top = bars[-2].get_y() + bars[-2].get_height()
    assert top == pytest.approx(result.portfolio_loss, abs=1e-9)
    assert "% of portfolio value" in ax.get_ylabel()


def test_every_plot_draws_on_the_axes_it_is_given_and_returns_them(pf, web, report):
    """Composable like pypfopt.plotting: ax= draws into your own subplots, no new figure is made."""
    frame = pd.DataFrame({"cap": [0.1, 0.2], "turnover": [0.4, 0.2], "score": [18, 22], "hub_exposure": [0.1, 0.18],
                          "status": ["optimal", "optimal"]})
    history = plots.exposure_history(pf, web, "openai", dates=FEW_DATES)
    fig, axes = plt.subplots(2, 4, figsize=(20, 8))
    figures_before = plt.get_fignums()
    drawn = [plots.hub_bars(report, ax=axes[0, 0]), plots.layer_mix(report, ax=axes[0, 1]),
             plots.deal_web(web, report, ax=axes[0, 2]),
             plots.exposure_over_time(pf, web, "openai", history=history, ax=axes[0, 3]),
             plots.stress_waterfall(ex.stress(pf, web, shocks={"openai": 0.5}), ax=axes[1, 0])]
    pair = plots.frontier_plot(frame, hub="OpenAI", ax=(axes[1, 1], axes[1, 2]))
    assert plt.get_fignums() == figures_before
    assert drawn == [axes[0, 0], axes[0, 1], axes[0, 2], axes[0, 3], axes[1, 0]]
    assert pair == (axes[1, 1], axes[1, 2])
    assert all(ax.has_data() or ax.artists for ax in [*drawn, *pair])
    assert not axes[1, 3].has_data()  # the spare panel is left alone
    assert "Exposure to the deal web's hubs" in axes[0, 0].get_title()
    assert "turnover" in axes[1, 1].get_ylabel()


def test_plots_never_choose_the_backend():
    """MPLBACKEND is the user's; before this, Agg was forced whenever DISPLAY was unset (macOS, Windows)."""
    code = ("import exposure as ex, exposure.plots as p, matplotlib\n"
            "p.hub_bars(ex.analyze(ex.Portfolio.from_weights({'NVDA': 1.0})))\n"
            "print(matplotlib.get_backend())")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**env, "MPLBACKEND": "svg"}, timeout=120)
    assert done.stdout.strip() == "svg", done.stderr


# ----------------------------------------------------------------------------------------------- CLI
def run_cli(args: list[str], monkeypatch, capsys) -> tuple[int, str, str]:
    return tuple(conftest.run_cli(*args))


def test_cli_plot_writes_the_pngs(tmp_path, monkeypatch, capsys):
    out = tmp_path / "figures"
    code, stdout, _ = run_cli(["plot", str(PORTFOLIOS / "neocloud_bet.csv"), "--out", str(out), "--dpi", "60"],
                              monkeypatch, capsys)
    assert code == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == ["deal_web.png", "exposure_over_time.png", "hub_bars.png", "layer_mix.png",
                       "stress_waterfall.png"]
    for path in out.iterdir():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote" in stdout


def test_cli_report_writes_one_self_contained_html(tmp_path, monkeypatch, capsys, web, report):
    out = tmp_path / "report.html"
    code, _, _ = run_cli(["report", str(PORTFOLIOS / "ai_heavy.csv"), "--out", str(out), "--no-history"],
                         monkeypatch, capsys)
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('src="data:image/png;base64,') == 4  # bars, layers, web, stress (no history)
    assert not re.search(r"<(script|link)\b", page) and 'src="http' not in page
    # The page shows the score the API computes (it moves whenever the bundled deals are updated).
    for needle in (f"Score {report.score:.0f}", "Deals and their sources", "As-of dates", "The model's parameters", "kappa",
                   "Why: the chains to Nvidia", "2026-06-30", "Data: newest deal ", "market figures median "):
        assert needle in page, needle
    assert page.count('<a href="https://') >= len(web.deals) - 5


def test_report_has_a_stress_and_a_suggestion_section_and_escapes_every_text(tmp_path, monkeypatch, capsys):
    out = tmp_path / "report.html"
    code, _, err = run_cli(["report", str(PORTFOLIOS / "ai_heavy.csv"), "--out", str(out), "--no-history",
                            "--scenario", "openai_default", "--hub-cap", "openai=0.15"], monkeypatch, capsys)
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    for needle in ("Stress: Scenario openai_default", "Contract clearing (Eisenberg-Noe", "Holdings that carry the loss",
                   "<h2>Suggestion</h2>", "<h3>Trades</h3>", "Hubs before and after", "Layers before and after",
                   "Binding constraints", "docs/methods.md"):
        assert needle in page, needle
    suggestion = page[page.index("<h2>Suggestion</h2>"):page.index("<h2>Deals and their sources</h2>")]
    assert ">sell<" in suggestion and "hub cap openai" in suggestion  # the trades, and the cap that binds


def test_report_text_from_files_never_becomes_markup(tmp_path):
    from exposure.html_report import render_report

    deals = tmp_path / "deals.csv"
    deals.write_text("id,payer,payee,type,amount_usd_bn,duration_years,announced,status,source_url,notes\n"
                     "X1,openai,oracle,cloud_compute_contract,1,,2025-01,rumored,"
                     "https://example.org/?q=<script>alert(1)</script>,<img src=x onerror=alert(1)>\n")
    web = ex.DealWeb.bundled().with_deals(deals)
    pf = ex.Portfolio.from_weights({"ORCL": 1.0})
    page = render_report(pf, web, title="<script>alert('title')</script>", history=False,
                         shocks={"openai": 0.5})
    assert "<script" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page
    assert 'href="https://example.org/?q=&lt;script&gt;' in page


def test_cli_report_refuses_to_write_over_its_input(tmp_path, monkeypatch, capsys):
    holdings = tmp_path / "holdings.html"
    shutil.copy(PORTFOLIOS / "ai_heavy.csv", holdings)
    before = holdings.read_bytes()
    code, _, err = run_cli(["report", str(holdings), "--out", str(holdings), "--no-history"], monkeypatch, capsys)
    assert code == 2 and "refusing to write over the input" in err
    assert holdings.read_bytes() == before


def test_cli_report_needs_an_html_name_and_an_existing_folder(tmp_path, monkeypatch, capsys):
    code, _, err = run_cli(["report", str(PORTFOLIOS / "ai_heavy.csv"), "--out", str(tmp_path / "r.txt")],
                           monkeypatch, capsys)
    assert code == 2 and ".html" in err
    code, _, err = run_cli(["report", str(PORTFOLIOS / "ai_heavy.csv"), "--out", str(tmp_path / "no" / "r.html"),
                            "--no-history"], monkeypatch, capsys)
    assert code == 2 and "does not exist" in err
