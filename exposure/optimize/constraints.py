"""What a suggestion must respect: :class:`Constraints`, the named presets and their documented bands.

Every fraction is of the portfolio's total value (names, funds and cash together) unless said otherwise.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from exposure.errors import ConstraintError
from exposure.taxonomy import Layer

#: Named presets: settings filled in when ``preset`` is given (anything given explicitly wins).
#: ``balanced-ai`` spreads the AI sleeve across the article's three layers, as fractions of total value:
#: chips and clouds 10-25% each, neoclouds (the most leveraged, with the fewest customers) 3-10%. The sleeve
#: is then 23-60% of value and no layer carries more than a quarter of it. Change any bound with
#: ``layer_bands`` (``--layer``).
PRESETS: dict[str, dict[str, Any]] = {
    "balanced-ai": {"layer_bands": {"semiconductor": (0.10, 0.25), "hyperscaler_cloud": (0.10, 0.25),
                                    "neocloud": (0.03, 0.10)}},
}
#: The "stay invested" ceiling sits this far above max(current cash, min_cash): the solver tightens every bound
#: by 1e-7 (``program.MARGIN``); at a ceiling of exactly the current cash that forced a few 1e-9 of buys on every
#: name, which on a small account was dust the no-dust re-solve could not remove (wealthsimple_1.csv failed).
STAY_INVESTED_SLACK = 1e-7
#: Default smallest trade: a quarter of a percent of the portfolio's value (a $250 trade on $100,000).
DEFAULT_MIN_TRADE = 0.0025


class Constraints(BaseModel):
    """What a suggestion must respect. Fractions are of the portfolio's total value unless said otherwise.

    Parameters
    ----------
    max_weight : largest target weight of any one company (default 0.10, the article's "no name above 10%").
        Funds (looked through) are exempt: a fund is not one name, and its holdings count in the caps and bands.
    min_cash : cash floor (default 0.05: keep liquidity).
    max_cash : cash ceiling. Default none, which means *stay invested*: cash ends within
        ``[min_cash, max(current cash, min_cash)]``, so sale proceeds are reinvested.
    hub_caps : ``{hub: cap}``, the largest total exposure to a hub (id, name or ticker), e.g. ``{"openai": .15}``.
    layer_bands : ``{layer: (lo, hi)}``: the layer's weight (companies directly plus funds' looked-through
        holdings) stays within ``[lo, hi]``. With ``layer_basis="portfolio"`` (default) the bounds are
        fractions of total value; with ``"ai_sleeve"`` they are shares of the AI sleeve (the weight in
        :data:`exposure.models.AI_LAYERS`). Default: no band (see ``preset``).
    preset : a named set of settings from :data:`PRESETS`, e.g. ``"balanced-ai"``; explicit settings win.
    max_turnover : the largest sum of ``|target - current|`` over names (cash is the residual); default none.
    frozen : tickers not to trade. ``exclude`` : tickers not to buy (held ones may be kept or sold).
    universe : tickers the suggestion may buy besides the holdings. Default (see the README's suggest section):
        sale proceeds go to ONE diversifier fund of ``exposure/data/universe.csv`` listed in the account's
        ``currency``: the first broad-market fund, else (when its own loading on a capped hub is above the cap)
        the first ex-US fund, else the first bond fund; a fund of that category already held takes the proceeds
        instead. The web's listed companies are added only in the layers of ``layer_bands`` (bands need them).
    currency : the account's currency (``USD``, ``GBP``, ``EUR``), which picks the diversifier funds: a GBP or
        EUR account is offered UCITS funds listed in its currency. Default: read from the holdings
        (:func:`exposure.optimize.inputs.account_currency`; USD when they say nothing).
    new_names : when false, trade only what is held (no name outside the holdings is bought).
    long_only : no short positions (default true); when false a name may go to ``-max_weight``.
    stress_caps : ``{scenario: max loss}`` for the bundled scenarios (linear DebtRank losses, linear in weights).
    transaction_costs : cost per unit of weight traded, one number or ``{ticker: cost}`` (others 1.0).
        Default 1.0: the objective is turnover.
    min_trade : the smallest trade: below 1 a fraction of value (default 0.0025), from 1 up an amount in the
        portfolio's currency (needs values or shares). Every trade is zero or at least this.
    max_trades : the most trades (buys plus sells); default none.
    trade_fee : a fixed cost per trade in the portfolio's currency (needs values or shares), default 0. The
        continuous optimum ignores it; the trade list is then chosen by the MILP of ``discrete`` with the fee,
        as a fraction of value, in the objective once per trade (the units of ``transaction_costs``), and the
        weights re-solved on that list. The fees paid are in the objective and in the notes.
    fractional : allow fractional shares; by default share and value portfolios trade whole shares.
    tax_rate : tax on realized gains (needs ``cost_basis`` in the holdings): selling a winner costs
        ``tax_rate * gain / value`` per unit sold on top of its transaction cost, so losers are sold first.
    gamma : weight of the sum of squared hub exposures in the objective (default 0.1): a tie-breaker between
        equally cheap trades that favors the least hub-exposed names.
    concentration : weight of the sum of squared single-name weights in the objective (funds count 1%),
        default 0.01: the article's "no overexposure to any single stock" as a tie-breaker, so reinvested money
        is spread and goes to funds before single names. Its marginal value stays far below a trade's cost.
    gamma_hubs : how many hubs the gamma term covers (default 20): the most depended-on plus every capped hub.
    risk_aversion : lambda of the risk term when a risk model is given (default 1.0).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    max_weight: float = Field(default=0.10, gt=0, le=1)
    min_cash: float = Field(default=0.05, ge=0, le=1)
    max_cash: float | None = Field(default=None, ge=0, le=1)
    hub_caps: dict[str, float] = Field(default_factory=dict)
    layer_bands: dict[str, tuple[float, float]] = Field(default_factory=dict)
    layer_basis: Literal["portfolio", "ai_sleeve"] = "portfolio"
    preset: str | None = None
    max_turnover: float | None = Field(default=None, ge=0)
    frozen: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    universe: list[str] | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")
    new_names: bool = True
    long_only: bool = True
    stress_caps: dict[str, float] = Field(default_factory=dict)
    transaction_costs: float | dict[str, float] = 1.0
    min_trade: float = Field(default=DEFAULT_MIN_TRADE, ge=0)
    max_trades: int | None = Field(default=None, ge=0)
    trade_fee: float = Field(default=0.0, ge=0)
    fractional: bool = False
    tax_rate: float = Field(default=0.0, ge=0, le=1)
    gamma: float = Field(default=0.1, ge=0)
    concentration: float = Field(default=0.01, ge=0)
    gamma_hubs: int = Field(default=20, ge=0)
    risk_aversion: float = Field(default=1.0, ge=0)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise ConstraintError(_constraint_message(error)) from None

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("preset") is None:
            return data
        name = str(data["preset"])
        if name not in PRESETS:
            raise ValueError(f"unknown preset '{name}' (use one of {', '.join(sorted(PRESETS))})")
        return {**PRESETS[name], **data}

    @field_validator("hub_caps", "stress_caps")
    @classmethod
    def _caps_are_fractions(cls, value: dict[str, float]) -> dict[str, float]:
        for key, cap in value.items():
            if not (isinstance(cap, int | float) and 0 <= cap <= 1 and math.isfinite(cap)):
                raise ValueError(f"cap for '{key}' must be a fraction in [0, 1], got {cap}")
        return value

    @field_validator("layer_bands")
    @classmethod
    def _bands_are_ordered(cls, value: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        layers = {str(layer) for layer in Layer}
        for layer, (lo, hi) in value.items():
            if layer not in layers:
                raise ValueError(f"unknown layer '{layer}' (use one of {', '.join(sorted(layers))})")
            if not 0 <= lo <= hi <= 1:
                raise ValueError(f"band for '{layer}' must satisfy 0 <= lo <= hi <= 1, got ({lo}, {hi})")
        return value

    @field_validator("transaction_costs")
    @classmethod
    def _costs_non_negative(cls, value: float | dict[str, float]) -> float | dict[str, float]:
        costs = value.values() if isinstance(value, dict) else [value]
        if any(not (c >= 0 and math.isfinite(c)) for c in costs):
            raise ValueError("costs must be finite and >= 0")
        return value

    @model_validator(mode="after")
    def _cash_band(self) -> Constraints:
        if self.max_cash is not None and self.max_cash < self.min_cash:
            raise ValueError(f"max_cash {self.max_cash} is below min_cash {self.min_cash}")
        for name in ("min_trade", "trade_fee"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be finite")
        return self

    def cash_band(self, current_cash: float) -> tuple[float, float]:
        """``(floor, ceiling)`` of target cash: the ceiling is ``max_cash`` or, to stay invested,
        ``max(current_cash, min_cash)`` (plus :data:`STAY_INVESTED_SLACK` above the floor)."""
        if self.max_cash is not None:
            return self.min_cash, float(self.max_cash)
        ceiling = max(current_cash, self.min_cash)
        # a band of zero width (cash at its floor) is kept exactly by the solver; a wider one gets the slack
        ceiling += STAY_INVESTED_SLACK if ceiling > self.min_cash else 0.0
        return self.min_cash, float(ceiling)

    def trade_fee_fraction(self, value: float | None) -> float:
        """The fee per trade as a fraction of value (0 without a fee)."""
        if self.trade_fee == 0:
            return 0.0
        if value is None or not value > 0:
            raise ConstraintError(f"Constraints.trade_fee: {self.trade_fee:g} is an amount, but the portfolio has "
                                  "weights only. Fix: give holdings with market values or shares, or no trade fee.")
        return float(self.trade_fee) / value

    def min_trade_fraction(self, value: float | None) -> float:
        """The smallest trade as a fraction of value: ``min_trade`` below 1, else an amount over ``value``."""
        if self.min_trade < 1:
            return float(self.min_trade)
        if value is None or value <= 0:
            raise ConstraintError(f"Constraints.min_trade: {self.min_trade:g} is an amount, but the portfolio has "
                                  "weights only. Fix: give min_trade as a fraction (e.g. 0.0025) or holdings with "
                                  "values or shares.")
        return float(self.min_trade) / value

    def described(self) -> pd.DataFrame:
        """Every setting, its value and whether it is a default (``source``), for the output."""
        given = self.model_fields_set
        rows = [{"constraint": name, "value": _text_value(getattr(self, name)),
                 "source": "given" if name in given else "default"} for name in type(self).model_fields]
        return pd.DataFrame(rows).set_index("constraint")


def _constraint_message(error: ValidationError) -> str:
    first = error.errors()[0]
    field_name = ".".join(str(part) for part in first["loc"]) or "constraints"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"Constraints.{field_name}: {message}. Fix: correct '{field_name}' (see help(ex.Constraints))."


def _text_value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_text_value(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ("-".join(_text_value(v) for v in value) if value and all(isinstance(v, float | int) for v in value)
                else ", ".join(map(str, value)) or "none")
    if value is None:
        return "none"
    return f"{value:g}" if isinstance(value, float) else str(value)
