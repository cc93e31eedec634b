"""Validated data models at the boundaries: companies, deals, and the exposure model's parameters.

Every parameter of how a deal becomes exposure lives in :class:`ExposureModel`, so a report can say
exactly which assumptions produced its numbers.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from exposure.defaults import STATUS_WEIGHTS, DefaultModel, default_durations, default_usd_per_gw
from exposure.taxonomy import AI_LAYERS, CONTRACT_TYPES, DealType, Layer, SourceKind, Status

__all__ = ["AI_LAYERS", "CONTRACT_TYPES", "Company", "Deal", "DealType", "ExposureModel", "Layer", "SourceKind",
           "Status"]


class Company(BaseModel):
    """A node of the deal web. Figures are USD billions; blank figures are ``None``."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1)
    ticker: str | None = None
    layer: Layer
    revenue_usd_bn: float | None = Field(default=None, ge=0)
    market_cap_usd_bn: float | None = Field(default=None, gt=0)
    as_of: str | None = None
    source_url: str | None = None
    notes: str | None = None


class Deal(BaseModel):
    """An edge of the deal web: ``payer`` pays or invests, ``payee`` receives the money.

    ``source_kind``, ``source_url_2`` (a corroborating source) and ``checked`` (the date the status was last
    checked against the sources, YYYY-MM-DD) are optional, so a user's deals file may leave them out.
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1)
    payer: str = Field(min_length=1)
    payee: str = Field(min_length=1)
    type: DealType
    amount_usd_bn: float | None = Field(default=None, ge=0)
    duration_years: float | None = Field(default=None, gt=0)
    announced: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")
    status: Status
    source_url: str = Field(min_length=1)
    notes: str | None = None
    capacity_gw: float | None = Field(default=None, ge=0)
    firm_usd_bn: float | None = Field(default=None, ge=0)
    source_kind: SourceKind | None = None
    source_url_2: str | None = None
    checked: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class ExposureModel(BaseModel):
    """How deals become the sensitivity matrix ``L`` (docs/methods.md, section 1.1). Every default is documented.

    ``L[i, j]`` is the fraction of company i's equity value lost per unit fractional loss of company j.

    Parameters
    ----------
    kappa : revenue-to-equity elasticity of the revenue channel (1 = value proportional to revenue).
    phi : weight of the funding channel (the investee depends on its investor's money), default 0.5.
    theta : weight of the supply channel (the payer depends on its supplier's delivery), default 0.
    status_weights : multiplier of a deal's amount by status (rumored deals count half; lapsed and terminated
        deals count 0). A status left out of a given mapping keeps its default weight.
    use_firm : count "up to" deals at their firm part (``firm_usd_bn``) where the data gives it.
    use_estimates : convert deals stated only in gigawatts to dollars at ``usd_per_gw``; False leaves them out.
    default_duration_years : years a contract is spread over when its term is undisclosed, by deal type.
    usd_per_gw : USD bn per GW by the payee's layer, for gigawatt-only deals.
    gw_duration_years : years a gigawatt deal's estimated amount is spread over.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kappa: float = Field(default=DefaultModel.kappa, ge=0, le=1)
    phi: float = Field(default=DefaultModel.phi, ge=0, le=1)
    theta: float = Field(default=DefaultModel.theta, ge=0, le=1)
    status_weights: dict[Status, float] = Field(default_factory=lambda: dict(STATUS_WEIGHTS))
    use_firm: bool = DefaultModel.use_firm
    use_estimates: bool = DefaultModel.use_estimates
    default_duration_years: dict[str, float] = Field(default_factory=default_durations)
    usd_per_gw: dict[str, float] = Field(default_factory=default_usd_per_gw)
    gw_duration_years: float = Field(default=DefaultModel.gw_duration_years, gt=0)

    @field_validator("status_weights")
    @classmethod
    def _weights_in_unit_interval(cls, value: dict[Status, float]) -> dict[Status, float]:
        for status, weight in value.items():
            if not 0 <= weight <= 1:
                raise ValueError(f"status weight for {status} must be in [0, 1], got {weight}")
        return {**STATUS_WEIGHTS, **value}
