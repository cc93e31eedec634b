"""Market data: the snapshot provider and the yfinance provider against recorded yfinance layouts.

No test opens a socket: an autouse guard makes Python sockets and curl_cffi (the transport yfinance
uses, which does not go through Python's socket module) fail as they do offline.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from exposure.market import (
    FUNDAMENTAL_COLUMNS,
    SCHEMA_VERSION,
    LiveDataWarning,
    MarketData,
    SnapshotProvider,
    YFinanceProvider,
    default_cache_dir,
    normalize_download,
    refresh,
)

yf = pytest.importorskip("yfinance")
from yfinance.exceptions import YFDataException, YFRateLimitError  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "yf"
SNAPSHOT = FIXTURES / "snapshot"
INFO = {k: v for k, v in json.loads((FIXTURES / "info.json").read_text()).items() if not k.startswith("_")}
FX_QUOTES = {k: v for k, v in json.loads((FIXTURES / "fx_quotes.json").read_text()).items()
             if not k.startswith("_")}
FAST_ONLY = {"ONLYFAST": {"lastPrice": 12.5, "marketCap": 2.0e9, "currency": "USD"}}


# -- guards and fakes -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every socket connect fails, and so does every curl_cffi request (as with no network: DNSError)."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    try:
        from curl_cffi import requests as curl_requests
        from curl_cffi.requests.exceptions import DNSError
    except ImportError:
        return

    def no_dns(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        raise DNSError(f"Failed to perform, curl: (6) Could not resolve host: {url} (network disabled in tests)")

    monkeypatch.setattr(curl_requests.Session, "request", no_dns)


def read_layout(name: str) -> pd.DataFrame:
    """A recorded ``yf.download`` frame (see fixtures/yf/make_fixtures.py)."""
    header: Any = 0 if name == "single_flat" else [0, 1]
    frame = pd.read_csv(FIXTURES / f"download_{name}.csv", header=header, index_col=0, parse_dates=True)
    frame.index.name = "Date"
    return frame


class FakeDownload:
    """Stands in for ``yf.download``: returns frames, raises or sleeps in turn, and counts calls."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, tickers: Any, **kwargs: Any) -> pd.DataFrame:
        self.calls.append({"tickers": list(tickers), **kwargs})
        outcome = self.outcomes[min(len(self.calls), len(self.outcomes)) - 1]
        if callable(outcome) and not isinstance(outcome, pd.DataFrame):
            outcome = outcome()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


class FakeFunds:
    def __init__(self, symbol: str) -> None:
        path = FIXTURES / f"top_holdings_{symbol}.csv"
        if not path.is_file():  # what yfinance raises for a stock: its quoteSummary has no topHoldings
            raise YFDataException(f"{symbol}: No Fund data found.")
        self.top_holdings = pd.read_csv(path, index_col="Symbol")


class FakeTicker:
    """Stands in for ``yf.Ticker``: ``info``, ``fast_info`` and ``funds_data`` from the fixtures."""

    calls: list[str] = []
    fail: BaseException | None = None

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        FakeTicker.calls.append(symbol)

    @property
    def info(self) -> dict[str, Any]:
        if FakeTicker.fail is not None:
            raise FakeTicker.fail
        return dict(INFO.get(self.symbol, {"trailingPegRatio": None}))

    @property
    def fast_info(self) -> dict[str, Any]:
        if FakeTicker.fail is not None:
            raise FakeTicker.fail
        if self.symbol in FX_QUOTES:
            return {"lastPrice": FX_QUOTES[self.symbol]}
        if self.symbol in FAST_ONLY:
            return FAST_ONLY[self.symbol]
        raise KeyError("lastPrice")

    @property
    def funds_data(self) -> FakeFunds:
        if FakeTicker.fail is not None:
            raise FakeTicker.fail
        return FakeFunds(self.symbol)


@pytest.fixture()
def fake_ticker(monkeypatch: pytest.MonkeyPatch) -> type[FakeTicker]:
    FakeTicker.calls, FakeTicker.fail = [], None
    monkeypatch.setattr(yf, "Ticker", FakeTicker)
    return FakeTicker


def fake_download(monkeypatch: pytest.MonkeyPatch, *outcomes: Any) -> FakeDownload:
    fake = FakeDownload(*outcomes)
    monkeypatch.setattr(yf, "download", fake)
    return fake


@pytest.fixture()
def snapshot() -> SnapshotProvider:
    return SnapshotProvider(SNAPSHOT)


@pytest.fixture()
def provider(tmp_path: Path, snapshot: SnapshotProvider) -> YFinanceProvider:
    return YFinanceProvider(cache_dir=tmp_path, timeout=5, fallback=snapshot, retries=2, backoff=0.01)


RANGE = {"start": "2025-01-01", "end": "2025-01-10"}


# -- snapshot ---------------------------------------------------------------------------------------


def test_snapshot_fundamentals_converts_and_labels(snapshot: SnapshotProvider) -> None:
    table = snapshot.fundamentals(["nvda", "9984.T", "2330.TW", "ZZZ"])
    assert list(table.columns) == FUNDAMENTAL_COLUMNS
    assert list(table.index) == ["NVDA", "9984.T", "2330.TW", "ZZZ"]
    assert table.loc["9984.T", "price_usd"] == pytest.approx(17500 * 0.0064)
    assert table.loc["9984.T", "market_cap_usd_bn"] == 180
    assert table.loc["2330.TW", "market_cap_usd_bn"] == 1500  # through aliases.csv
    assert table.loc["NVDA", "as_of"] == "2026-02-11"
    assert table["source"].tolist() == ["snapshot", "snapshot", "snapshot", "missing"]
    assert any("ZZZ" in w for w in snapshot.warnings)


def test_snapshot_prices_is_one_dated_row(snapshot: SnapshotProvider) -> None:
    frame = snapshot.prices(["NVDA", "AMD"])
    assert frame.shape == (1, 2)
    assert frame.index[0] == pd.Timestamp("2026-02-11")
    assert frame.attrs["as_of"]["AMD"] == "2025-12-05"


def test_snapshot_holdings_fx_and_protocol(snapshot: SnapshotProvider, tmp_path: Path) -> None:
    assert snapshot.fund_holdings("smh")["ticker"].tolist() == ["NVDA", "TSM"]
    assert snapshot.fund_holdings("NOPE").empty
    assert snapshot.fx("USD") == 1.0 and snapshot.fx("JPY") == 0.0064
    from exposure.errors import MarketDataError

    with pytest.raises(MarketDataError, match="CHF"):
        snapshot.fx("CHF")
    assert isinstance(snapshot, MarketData) and isinstance(YFinanceProvider(cache_dir=tmp_path), MarketData)


def test_bundled_snapshot_reads_package_data() -> None:
    table = SnapshotProvider().fundamentals(["NVDA"])
    assert table.loc["NVDA", "source"] == "snapshot" and table.loc["NVDA", "market_cap_usd_bn"] > 0


# -- layouts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout,tickers", [("column", ["NVDA", "AMD"]), ("ticker", ["NVDA", "AMD"]),
                                            ("single_multi", ["NVDA"]), ("single_flat", ["NVDA"])])
def test_normalize_every_layout(layout: str, tickers: list[str]) -> None:
    frame = normalize_download(read_layout(layout), tickers)
    assert set(frame.columns) == set(tickers)
    assert frame.index.name == "date" and len(frame) == 6 and not isinstance(frame.columns, pd.MultiIndex)
    expected = 138.162 if layout == "single_flat" else 138.3  # Adj Close when auto_adjust=False
    assert frame["NVDA"].iloc[0] == pytest.approx(expected)


def test_normalize_partial_frame_keeps_close_of_good_ticker() -> None:
    frame = normalize_download(read_layout("partial"), ["NVDA", "AMD"])
    assert frame["NVDA"].notna().all() and frame["AMD"].isna().all()


def test_prices_use_one_batched_download(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider) -> None:
    fake = fake_download(monkeypatch, read_layout("column"))
    frame = provider.prices(["NVDA", "AMD"], **RANGE)
    assert len(fake.calls) == 1
    call = fake.calls[0]
    assert sorted(call["tickers"]) == ["AMD", "NVDA"] and call["auto_adjust"] is True
    assert call["progress"] is False and call["start"] == "2025-01-01" and call["end"] == "2025-01-10"
    assert list(frame.columns) == ["NVDA", "AMD"] and frame.attrs["source"] == {"NVDA": "live", "AMD": "live"}
    assert provider.warnings == []


# -- cache ------------------------------------------------------------------------------------------


def test_cache_hit_does_not_fetch_again(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider,
                                        fake_ticker: type[FakeTicker]) -> None:
    fake = fake_download(monkeypatch, read_layout("column"))
    first = provider.prices(["NVDA", "AMD"], **RANGE)
    second = provider.prices(["AMD"], start="2025-01-03", end="2025-01-08")
    assert len(fake.calls) == 1
    assert second.attrs["source"] == {"AMD": "cache"}
    assert second["AMD"].tolist() == first.loc["2025-01-03":"2025-01-07", "AMD"].tolist()
    provider.fundamentals(["NVDA"])
    again = provider.fundamentals(["NVDA"])
    assert fake_ticker.calls == ["NVDA"] and again.loc["NVDA", "source"] == "cache"


def test_cache_dir_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EXPOSURE_CACHE_DIR", str(tmp_path / "env"))
    assert default_cache_dir() == tmp_path / "env"
    assert YFinanceProvider().cache_dir == tmp_path / "env"
    assert YFinanceProvider(cache_dir=tmp_path / "arg").cache_dir == tmp_path / "arg"
    monkeypatch.delenv("EXPOSURE_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    import platformdirs

    assert default_cache_dir() == Path(platformdirs.user_cache_dir("exposure", appauthor=False))
    if sys.platform.startswith("linux"):  # the XDG rule: ~/.cache unless XDG_CACHE_HOME says otherwise
        assert default_cache_dir() == Path.home() / ".cache" / "exposure"
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert default_cache_dir() == tmp_path / "xdg" / "exposure"


def test_ttl_expiry_refetches(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider,
                              fake_ticker: type[FakeTicker]) -> None:
    now = [1_000_000.0]
    provider._clock = lambda: now[0]
    fake = fake_download(monkeypatch, read_layout("column"))
    provider.prices(["NVDA", "AMD"], **RANGE)
    provider.fundamentals(["NVDA"])
    now[0] += 2 * 86_400  # prices expire after a day, fundamentals after a week
    assert provider.prices(["NVDA"], **RANGE).attrs["source"] == {"NVDA": "live"}
    assert provider.fundamentals(["NVDA"]).loc["NVDA", "source"] == "cache"
    assert len(fake.calls) == 2
    now[0] += 6 * 86_400
    assert provider.fundamentals(["NVDA"]).loc["NVDA", "source"] == "live"
    assert fake_ticker.calls == ["NVDA", "NVDA"]


def test_corrupt_cache_file_is_a_miss(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider,
                                      fake_ticker: type[FakeTicker]) -> None:
    provider.fundamentals(["NVDA"])
    (provider.cache_dir / "fundamentals" / "NVDA.json").write_text("{not json")
    with pytest.warns(LiveDataWarning, match="Ignored the cached fundamentals of NVDA"):
        assert provider.fundamentals(["NVDA"]).loc["NVDA", "source"] == "live"


class Planted:
    """A pickle that, if ever unpickled, creates a marker file (as a planted shell command would)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_a_planted_pickle_never_runs(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider,
                                     fake_ticker: type[FakeTicker], tmp_path: Path) -> None:
    import pickle

    marker = tmp_path / "PWNED"
    payload = pickle.dumps({"fetched_at": time.time(), "data": Planted(marker)})
    for kind in ("prices", "fundamentals", "holdings", "fx"):
        (provider.cache_dir / kind).mkdir(parents=True, exist_ok=True)
        for name in ("NVDA.pkl", "NVDA.json", "SMH.pkl", "SMH.json", "EUR.json", "EUR.pkl"):
            (provider.cache_dir / kind / name).write_bytes(payload)
    pickle.loads(pickle.dumps(Planted(tmp_path / "control")))  # the payload is live: unpickling runs it
    assert (tmp_path / "control").exists()
    fake_download(monkeypatch, read_layout("column"))
    with pytest.warns(LiveDataWarning, match="not valid JSON"):
        assert provider.prices(["NVDA"], **RANGE).attrs["source"] == {"NVDA": "live"}
        assert provider.fundamentals(["NVDA"]).loc["NVDA", "source"] == "live"
        provider.fund_holdings("SMH")
        provider.fx("EUR")
    assert not marker.exists()


def _poison(path: Path, change: Any) -> None:
    entry = json.loads(path.read_text())
    path.write_text(json.dumps(change(entry)))


POISONED = {
    "a list": lambda e: [],
    "no data": lambda e: {k: v for k, v in e.items() if k != "data"},
    "revenue abc": lambda e: {**e, "data": {**e["data"], "revenue": "abc"}},
    "negative price": lambda e: {**e, "data": {**e["data"], "price": -5.0}},
    "infinite cap": lambda e: {**e, "data": {**e["data"], "market_cap": 1e400}},
    "fetched_at 1e300": lambda e: {**e, "fetched_at": 1e300},
    "fetched_at text": lambda e: {**e, "fetched_at": "yesterday"},
    "old schema": lambda e: {**e, "schema": 0},
    "other kind": lambda e: {**e, "kind": "fx"},
    "data a string": lambda e: {**e, "data": "x"},
}


@pytest.mark.parametrize("variant", sorted(POISONED))
def test_a_bad_fundamentals_entry_is_a_miss_with_one_warning(provider: YFinanceProvider,
                                                           fake_ticker: type[FakeTicker], variant: str) -> None:
    provider.fundamentals(["NVDA"])
    _poison(provider.cache_dir / "fundamentals" / "NVDA.json", POISONED[variant])
    with pytest.warns(LiveDataWarning) as caught:
        assert provider.fundamentals(["NVDA"]).loc["NVDA", "source"] == "live"
    assert len([w for w in caught if "Ignored the cached" in str(w.message)]) == 1
    assert provider.fundamentals(["NVDA"]).loc["NVDA", "source"] == "cache"  # rewritten whole


@pytest.mark.parametrize("variant, change", [
    ("weight 50", lambda e: {**e, "data": [{**e["data"][0], "weight": 50.0}, *e["data"][1:]]}),
    ("weights over 1", lambda e: {**e, "data": [{**r, "weight": 0.5} for r in e["data"]]}),
    ("no ticker", lambda e: {**e, "data": [{**e["data"][0], "ticker": ""}, *e["data"][1:]]}),
])
def test_poisoned_fund_weights_are_refused(provider: YFinanceProvider, fake_ticker: type[FakeTicker],
                                           variant: str, change: Any) -> None:
    provider.fund_holdings("SMH")
    _poison(provider.cache_dir / "holdings" / "SMH.json", change)
    with pytest.warns(LiveDataWarning, match="Ignored the cached holdings of SMH"):
        holdings = provider.fund_holdings("SMH")
    assert (holdings["source"] == "live").all() and holdings["weight"].between(0, 1).all()


@pytest.mark.parametrize("change", [
    lambda e: {**e, "data": {**e["data"], "close": [0.0] * len(e["data"]["close"])}},
    lambda e: {**e, "data": {**e["data"], "close": e["data"]["close"][:-1]}},
    lambda e: {**e, "data": {**e["data"], "dates": ["soon"] * len(e["data"]["dates"])}},
])
def test_poisoned_prices_are_refused(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider,
                                     change: Any) -> None:
    fake_download(monkeypatch, read_layout("column"), read_layout("column"))
    provider.prices(["NVDA"], **RANGE)
    _poison(provider.cache_dir / "prices" / "NVDA.json", change)
    with pytest.warns(LiveDataWarning, match="Ignored the cached prices of NVDA"):
        assert provider.prices(["NVDA"], **RANGE).attrs["source"] == {"NVDA": "live"}


def test_cache_entries_are_versioned_json(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider) -> None:
    fake_download(monkeypatch, read_layout("column"))
    live = provider.prices(["NVDA"], **RANGE)["NVDA"]
    entry = json.loads((provider.cache_dir / "prices" / "NVDA.json").read_text())
    assert entry["schema"] == SCHEMA_VERSION and entry["kind"] == "prices"
    assert entry["data"]["start"] == "2025-01-01" and entry["data"]["end"] == "2025-01-10"
    assert entry["data"]["close"] == [float(v) for v in live.to_numpy()]
    assert not list(provider.cache_dir.rglob("*.tmp")) and not list(provider.cache_dir.rglob("*.pkl"))


# -- failures fall back to the snapshot, by name -------------------------------------------------


def test_empty_frame_falls_back_and_names_tickers(monkeypatch: pytest.MonkeyPatch,
                                                 provider: YFinanceProvider) -> None:
    empty = read_layout("column").iloc[0:0]  # what yf.download returns offline
    fake_download(monkeypatch, empty)
    frame = provider.prices(["NVDA", "AMD"], **RANGE)
    assert frame.attrs["source"] == {"NVDA": "snapshot", "AMD": "snapshot"}
    assert frame["NVDA"].dropna().tolist() == [190.05]
    assert len(provider.warnings) == 1
    assert "NVDA, AMD" in provider.warnings[0] and "snapshot" in provider.warnings[0]


def test_partial_frame_falls_back_for_missing_names_only(monkeypatch: pytest.MonkeyPatch,
                                                         provider: YFinanceProvider) -> None:
    fake_download(monkeypatch, read_layout("partial"))
    frame = provider.prices(["NVDA", "AMD"], **RANGE)
    assert frame.attrs["source"] == {"NVDA": "live", "AMD": "snapshot"}
    assert frame["NVDA"].notna().sum() == 6 and frame["AMD"].dropna().tolist() == [217.97]
    (warning,) = provider.warnings
    assert "AMD" in warning and "NVDA" not in warning and "1 ticker" in warning


def test_rate_limit_retries_then_falls_back(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider) -> None:
    fake = fake_download(monkeypatch, YFRateLimitError())
    frame = provider.prices(["NVDA"], **RANGE)
    assert len(fake.calls) == 1 + provider.retries
    assert frame.attrs["source"] == {"NVDA": "snapshot"}
    assert "rate-limited" in provider.warnings[0]


def test_rate_limit_then_success(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider) -> None:
    fake = fake_download(monkeypatch, YFRateLimitError(), read_layout("column"))
    frame = provider.prices(["NVDA", "AMD"], **RANGE)
    assert len(fake.calls) == 2 and set(frame.attrs["source"].values()) == {"live"}
    assert provider.warnings == []


def test_logged_rate_limit_in_download_is_retried(monkeypatch: pytest.MonkeyPatch,
                                                  provider: YFinanceProvider) -> None:
    def logged_then_partial() -> pd.DataFrame:  # yf.download catches per-ticker errors and logs them
        logging.getLogger("yfinance").error("['AMD']: YFRateLimitError('Too Many Requests. Rate limited.')")
        return read_layout("partial")

    fake = fake_download(monkeypatch, logged_then_partial, read_layout("column"))
    frame = provider.prices(["NVDA", "AMD"], **RANGE)
    assert len(fake.calls) == 2 and frame.attrs["source"] == {"NVDA": "live", "AMD": "live"}


def test_oserror_falls_back(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider,
                            fake_ticker: type[FakeTicker]) -> None:
    from curl_cffi.requests.exceptions import DNSError

    fake_download(monkeypatch, DNSError("Could not resolve host"))
    assert provider.prices(["NVDA"], **RANGE).attrs["source"] == {"NVDA": "snapshot"}
    fake_ticker.fail = DNSError("Could not resolve host")
    table = provider.fundamentals(["NVDA", "9984.T"])
    assert table["source"].tolist() == ["snapshot", "snapshot"]
    assert table.loc["NVDA", "market_cap_usd_bn"] == 4600
    assert "network error: DNSError" in provider.warnings[-1] and "NVDA, 9984.T" in provider.warnings[-1]


def test_timeout_does_not_hang(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                               snapshot: SnapshotProvider, fake_ticker: type[FakeTicker]) -> None:
    fake_download(monkeypatch, lambda: time.sleep(30) or read_layout("column"))
    provider = YFinanceProvider(cache_dir=tmp_path, timeout=0.5, fallback=snapshot)
    started = time.monotonic()
    frame = provider.prices(["NVDA", "AMD"], **RANGE)
    assert time.monotonic() - started < 2.0
    assert set(frame.attrs["source"].values()) == {"snapshot"}
    assert "no answer within 0.5 s" in provider.warnings[0]

    monkeypatch.setattr(FakeTicker, "info", property(lambda self: time.sleep(30)))
    started = time.monotonic()
    table = provider.fundamentals(["NVDA"])
    assert time.monotonic() - started < 2.0 and table.loc["NVDA", "source"] == "snapshot"


def test_unknown_everywhere_is_missing(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider,
                                       fake_ticker: type[FakeTicker]) -> None:
    table = provider.fundamentals(["ZZZZ"])
    assert table.loc["ZZZZ", "source"] == "missing" and pd.isna(table.loc["ZZZZ", "market_cap_usd_bn"])
    assert any("ZZZZ" in w for w in provider.warnings)


# -- fundamentals, FX, funds ------------------------------------------------------------------------


def test_fundamentals_convert_with_fx(provider: YFinanceProvider, fake_ticker: type[FakeTicker]) -> None:
    table = provider.fundamentals(["NVDA", "9984.T", "ASML.AS", "TSM", "005930.KS", "AZN.L", "ONLYFAST"])
    assert (table["source"] == "live").all(), provider.warnings
    assert table.loc["NVDA", "market_cap_usd_bn"] == pytest.approx(4400)
    assert table.loc["9984.T", "market_cap_usd_bn"] == pytest.approx(25e12 * 0.0066 / 1e9)
    assert table.loc["9984.T", "price_usd"] == pytest.approx(18000 * 0.0066)
    assert table.loc["ASML.AS", "revenue_usd_bn"] == pytest.approx(30 * 1.10)
    assert table.loc["TSM", "market_cap_usd_bn"] == pytest.approx(1500)  # quoted in USD
    assert table.loc["TSM", "revenue_usd_bn"] == pytest.approx(3600 * 0.031)  # reported in TWD
    assert table.loc["005930.KS", "price"] == 70000 and table.loc["005930.KS", "currency"] == "KRW"
    assert table.loc["AZN.L", "price_usd"] == pytest.approx(110.0 * 1.30)  # pence
    assert table.loc["ONLYFAST", "price"] == 12.5  # from fast_info when info is empty
    assert fake_ticker.calls.count("JPYUSD=X") == 1  # one FX fetch per currency and request


def test_fx_live_cached_and_fallback(provider: YFinanceProvider, fake_ticker: type[FakeTicker]) -> None:
    assert provider.fx("usd") == 1.0
    assert provider.fx("EUR") == pytest.approx(1.10)
    assert provider.fx("GBp") == pytest.approx(0.013)
    fake_ticker.fail = OSError("offline")
    assert provider.fx("EUR") == pytest.approx(1.10)  # cached
    assert provider.fx("JPY") == pytest.approx(0.0064)  # snapshot
    assert "JPY" in provider.warnings[-1] and "snapshot" in provider.warnings[-1]


def test_fund_holdings_live_top10_and_fallback(provider: YFinanceProvider,
                                               fake_ticker: type[FakeTicker]) -> None:
    live = provider.fund_holdings("smh")
    assert len(live) == 10 and (live["source"] == "live").all()
    assert live.iloc[0]["ticker"] == "NVDA" and live.iloc[0]["weight"] == pytest.approx(0.2021)
    assert "top 10 only" in provider.warnings[-1]
    assert (provider.fund_holdings("SMH")["source"] == "cache").all()
    fake_ticker.fail = OSError("offline")
    provider.read_cache = False
    fallback = provider.fund_holdings("SMH")
    assert fallback["ticker"].tolist() == ["NVDA", "TSM"] and (fallback["source"] == "snapshot").all()
    assert provider.fund_holdings("NOPE").empty and provider.fund_holdings("NVDA").empty
    assert "NOPE, NVDA are funds" in provider.warnings[-1] and "single stocks" in provider.warnings[-1]
    assert sum("are funds" in w for w in provider.warnings) == 1  # one warning, updated in place


def test_stock_is_not_a_fund_without_warning(provider: YFinanceProvider, fake_ticker: type[FakeTicker]) -> None:
    assert provider.fund_holdings("NVDA").empty and provider.warnings == []
    assert provider.fund_holdings("NVDA").empty and fake_ticker.calls == ["NVDA"]  # cached negative
    provider.fundamentals(["9984.T"])  # its quote says EQUITY: no holdings request at all
    assert provider.fund_holdings("9984.T").empty and fake_ticker.calls.count("9984.T") == 1


def test_network_failure_pauses_live_fetches(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider,
                                             fake_ticker: type[FakeTicker]) -> None:
    from curl_cffi.requests.exceptions import DNSError

    fake = fake_download(monkeypatch, DNSError("Could not resolve host"))
    provider.prices(["NVDA"], **RANGE)
    table = provider.fundamentals(["NVDA"])
    assert fake_ticker.calls == [] and len(fake.calls) == 1  # no second attempt while offline
    assert table.loc["NVDA", "source"] == "snapshot"
    assert "not tried: network error: DNSError moments ago" in provider.warnings[-1]
    provider._offline_until = 0.0  # the pause is over
    assert provider.fundamentals(["NVDA"]).loc["NVDA", "source"] == "live"


def test_logged_network_errors_in_download(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider) -> None:
    def offline() -> pd.DataFrame:  # yfinance 1.7 offline: logs per-ticker curl errors, returns empty
        logging.getLogger("yfinance").error("['NVDA']: DNSError('Failed to perform, curl: (6) Could not resolve')")
        return read_layout("column").iloc[0:0]

    fake_download(monkeypatch, offline)
    assert provider.prices(["NVDA"], **RANGE).attrs["source"] == {"NVDA": "snapshot"}
    assert "network error: ConnectionError" in provider.warnings[0]


def test_refresh_fills_cache(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider,
                             fake_ticker: type[FakeTicker]) -> None:
    fake_download(monkeypatch, read_layout("column"))
    table = refresh(["NVDA", "AMD"], provider, funds=["SMH"], **RANGE)
    assert table.loc["NVDA", "prices"] == "live" and table.loc["NVDA", "fundamentals"] == "live"
    assert table.loc["AMD", "fundamentals"] == "snapshot"  # no quote in the fixtures
    assert table.loc["SMH", "holdings"] == "live"
    fake_download(monkeypatch, OSError("offline"))
    fake_ticker.fail = OSError("offline")
    again = YFinanceProvider(cache_dir=provider.cache_dir, fallback=provider.fallback)
    assert again.prices(["NVDA"], **RANGE).attrs["source"] == {"NVDA": "cache"}
    assert again.fundamentals(["NVDA"]).loc["NVDA", "source"] == "cache"


def test_progress_bar_for_many_tickers(monkeypatch: pytest.MonkeyPatch, provider: YFinanceProvider,
                                       fake_ticker: type[FakeTicker]) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    names = [f"T{i}" for i in range(25)]
    table = provider.fundamentals(names)
    assert len(table) == 25 and (table["source"] == "missing").all()


# -- no network at all, real yfinance ----------------------------------------------------------------


def test_real_yfinance_offline_falls_back_within_limit(tmp_path: Path) -> None:
    provider = YFinanceProvider(timeout=5, cache_dir=tmp_path)
    started = time.monotonic()
    table = provider.fundamentals(["NVDA"])
    assert time.monotonic() - started < 15
    assert table.loc["NVDA", "source"] == "snapshot" and table.loc["NVDA", "market_cap_usd_bn"] > 0
    assert any("NVDA" in w and "snapshot" in w for w in provider.warnings)
    started = time.monotonic()
    frame = provider.prices(["NVDA"])
    assert time.monotonic() - started < 15 and frame.attrs["source"] == {"NVDA": "snapshot"}


def test_import_does_not_import_yfinance() -> None:
    code = "import sys, exposure, exposure.market, exposure.risk; assert 'yfinance' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


# -- CLI ----------------------------------------------------------------------------------------------


def test_cli_refresh_fills_cache_and_reports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            fake_ticker: type[FakeTicker]) -> None:
    from typer.testing import CliRunner

    from exposure.cli import app

    fake_download(monkeypatch, read_layout("column"))
    runner = CliRunner()
    result = runner.invoke(app, ["refresh", "NVDA", "AMD", "--fund", "SMH", "--cache-dir", str(tmp_path),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["cache_dir"] == str(tmp_path)
    sources = {row["ticker"]: row for row in payload["sources"]}
    assert sources["NVDA"]["prices"] == "live" and sources["SMH"]["holdings"] == "live"
    assert (tmp_path / "prices" / "NVDA.json").is_file() and (tmp_path / "fundamentals" / "NVDA.json").is_file()

    fake_download(monkeypatch, OSError("offline"))
    offline = runner.invoke(app, ["refresh", "NVDA", "--cache-dir", str(tmp_path / "empty")])
    assert offline.exit_code == 1 and "snapshot" in offline.stdout


def test_live_cli_exits_within_its_timeout_despite_stuck_yfinance_threads(tmp_path: Path) -> None:
    """A download stuck in yfinance's own (non-daemon) threads must not keep `exposure` alive past --timeout."""
    child = f"""
import sys, time
from concurrent.futures import ThreadPoolExecutor
import yfinance as yf

pool = ThreadPoolExecutor(4)  # its workers are joined at interpreter exit, as yfinance's download threads are

def stuck(*args, **kwargs):
    pool.submit(time.sleep, 60).result()

yf.download = stuck
yf.Ticker = lambda symbol: stuck()
print(time.monotonic(), file=sys.stderr, flush=True)
from exposure.cli import main
main(["refresh", "NVDA", "--timeout", "2", "--cache-dir", {str(tmp_path)!r}])
"""
    process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    finished = time.monotonic()
    started = float(err.splitlines()[0])
    assert process.returncode == 1, err  # nothing fetched live: refresh says so with exit code 1
    # Two 2 s deadlines, then exit: well before the stuck threads' 60 s (the margin absorbs a loaded machine;
    # a process that waited for its threads would take 60 s or more).
    assert finished - started < 30, err
    assert "Traceback" not in err
