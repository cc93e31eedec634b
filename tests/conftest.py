"""Shared fixtures. No test may reach the network: connections beyond loopback fail loudly."""

from __future__ import annotations

import io
import os
import socket
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import NamedTuple
from unittest.mock import patch

import pytest

# One BLAS thread per process: xdist already runs one worker per core, and the webs' matrices are small, so
# more threads only spin against each other. Set before the workers start (they inherit the environment).
for _variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

ROOT = Path(__file__).resolve().parents[1]
PORTFOLIOS = ROOT / "portfolios"
_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if self.family == socket.AF_UNIX or host in ("127.0.0.1", "localhost", "::1", "0.0.0.0"):
        return _real_connect(self, address)
    raise OSError(f"tests must not open network connections (tried {address!r})")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


# A hand-built web used across tests; every number below is worked out by hand in tests/test_network.py.
SMALL_COMPANIES = """id,name,ticker,layer,revenue_usd_bn,market_cap_usd_bn,as_of,source_url,notes
lab,Lab,,model_lab,10,,2026-01-01,https://example.org/lab,private
cloud,Cloud Co,CLD,hyperscaler_cloud,30,200,2026-01-01,https://example.org/cloud,
chip,Chip Co,CHP,semiconductor,60,1000,2026-01-01,https://example.org/chip,
inv,Investor,,investor,,,2026-01-01,https://example.org/inv,private
"""
SMALL_DEALS = """id,payer,payee,type,amount_usd_bn,duration_years,announced,status,source_url,notes,capacity_gw,firm_usd_bn
D1,lab,cloud,cloud_compute_contract,100,5,2024-03,completed,https://example.org/d1,,,
D2,cloud,chip,chip_supply,40,4,2024-06-15,reported,https://example.org/d2,,,
D3,chip,lab,equity_investment,20,,2025-01,completed,https://example.org/d3,,,
D4,inv,lab,equity_investment,10,,2025-02,announced,https://example.org/d4,,,
D5,lab,chip,chip_supply,,,2025-10,announced,https://example.org/d5,,1,
D6,lab,cloud,other,5,,2025-11,announced,https://example.org/d6,,,
D7,cloud,lab,licensing_partnership,,,2025-12,rumored,https://example.org/d7,,,
"""


@pytest.fixture
def small_web():
    from exposure.dealweb import DealWeb

    return DealWeb.from_csv(io.StringIO(SMALL_COMPANIES), io.StringIO(SMALL_DEALS))


class CliResult(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: object) -> CliResult:
    """Run ``exposure ARGS`` through the real entry point ``exposure.cli.main`` in this process."""
    from exposure.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err), patch.object(sys, "argv", ["exposure", *map(str, args)]):
        try:
            main()
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    return CliResult(code, out.getvalue(), err.getvalue())
