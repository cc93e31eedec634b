"""The CLI end to end: the main job works on every sample; user mistakes give one line and exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import PORTFOLIOS, run_cli

run = run_cli


def test_installed_entry_point_runs_in_a_fresh_process():
    result = subprocess.run([sys.executable, "-c", "from exposure.cli import main; main()", "score",
                             str(PORTFOLIOS / "ai_heavy.csv"), "--format", "json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hub"] == "nvidia"


@pytest.mark.parametrize("sample", sorted(p.name for p in PORTFOLIOS.glob("*.csv")))
def test_score_every_sample_offline(sample):
    result = run("score", str(PORTFOLIOS / sample), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert 0 <= data["score"] <= 100 and data["grade"] in {"low", "moderate", "high", "extreme"}


def test_score_table_and_paths_name_the_deals():
    table = run("score", str(PORTFOLIOS / "ai_heavy.csv"))
    assert table.returncode == 0 and "AI concentration" in table.stdout and "OpenAI" in table.stdout
    paths = run("paths", str(PORTFOLIOS / "ai_heavy.csv"), "--hub", "openai", "--format", "csv")
    assert paths.returncode == 0
    assert "D004 ($300bn, announced" in paths.stdout.splitlines()[1]  # Oracle's $300bn contract (announced by OpenAI, 2025-07-22) is the top chain
    # The sample holds no OpenAI, yet OpenAI is the hub it rides on most through deals.
    text = " ".join(table.stdout.split())  # rich wraps lines at the terminal width
    assert "Through deals alone" in text and "OpenAI, without holding it" in text


def test_deals_and_companies_listings():
    deals = run("deals", "--company", "CoreWeave", "--format", "json")
    rows = json.loads(deals.stdout)
    assert rows and all("coreweave" in (r["payer"], r["payee"]) for r in rows)
    assert all(r["source_url"] for r in rows)
    companies = run("companies", "--layer", "neocloud", "--format", "csv")
    assert "coreweave" in companies.stdout


@pytest.mark.parametrize("args, message", [
    (["score", "missing.csv"], "missing.csv: file not found"),
    (["paths", str(PORTFOLIOS / "ai_heavy.csv"), "--hub", "opneai"], "Did you mean openai"),
    (["score", str(PORTFOLIOS / "ai_heavy.csv"), "--as-of", "2999-01-01"], "in the future"),
    (["companies", "--layer", "quantum"], "'quantum' is not one of"),
])
def test_user_mistakes_exit_2_with_one_line(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content, message", [
    ("", "file is empty"),
    ("ticker,weight\n", "header only"),
    ("name,weight\nNVDA,1\n", "no header row with a 'ticker'"),
    ("ticker,weight,shares\nNVDA,1,2\n", "2 amount columns"),
    ("ticker,weight\nNVDA,abc\n", "row 2, column 'weight': 'abc' is not a number"),
    ("ticker,shares\nNVDA,-5\n", "row 2, column 'shares': negative shares"),
    ("ticker,weight\nNVDA,0\nAMD,0\n", "every weight is zero"),
    ("ticker,shares\nZZZZ,5\n", "no price for ZZZZ"),
])
def test_bad_holdings_files(tmp_path, content, message):
    path = tmp_path / "holdings.csv"
    path.write_text(content)
    result = run("score", str(path))
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_live_with_the_network_unreachable_falls_back_to_the_snapshot(tmp_path):
    # Every HTTP request goes to a closed loopback port (a proxy that refuses), so nothing leaves the machine.
    # The subprocess timeout only guards against a hang; the benchmark measures how long it takes.
    import os

    proxy = "http://127.0.0.1:9"
    env = {**os.environ, "EXPOSURE_CACHE_DIR": str(tmp_path), "https_proxy": proxy, "HTTPS_PROXY": proxy,
           "http_proxy": proxy, "HTTP_PROXY": proxy, "ALL_PROXY": proxy, "all_proxy": proxy}
    result = subprocess.run([sys.executable, "-c", "from exposure.cli import main; main()", "score",
                             str(PORTFOLIOS / "retail_shares.csv"), "--live"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert "using the bundled snapshot" in result.stdout and "NVDA" in result.stdout
    assert "AI concentration" in result.stdout
