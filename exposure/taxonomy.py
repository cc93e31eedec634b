"""The vocabulary of the deal web: layers, deal types, statuses and the sets the engine uses.

Plain enums, kept apart from the pydantic models so that the engine (and ``import exposure``) can use
them without loading pydantic.
"""

from __future__ import annotations

from enum import StrEnum


class Layer(StrEnum):
    """Where a company sits in the AI-infrastructure stack."""

    model_lab = "model_lab"
    hyperscaler_cloud = "hyperscaler_cloud"
    neocloud = "neocloud"
    semiconductor = "semiconductor"
    foundry_equipment = "foundry_equipment"
    networking_hardware = "networking_hardware"
    data_center_power = "data_center_power"
    investor = "investor"
    application = "application"
    other = "other"


#: Layers counted in a portfolio's AI sleeve (``ai_share``); ``investor`` and ``other`` are not.
AI_LAYERS: frozenset[str] = frozenset(
    {"model_lab", "hyperscaler_cloud", "neocloud", "semiconductor", "foundry_equipment",
     "networking_hardware", "data_center_power", "application"}
)


#: The balanced AI sleeve: each AI layer's band ``(lo, hi)`` as a share of the portfolio's AI-layer value.
#: The sleeve is spread across chips, the clouds and the neoclouds with room for the supply chain
#: (docs/methods.md section 5), and no layer can carry it alone. A design choice, not a published figure: the
#: report compares a portfolio's layer mix with it, and the optimiser's ``balanced-ai`` preset imports it.
BALANCED_AI_BANDS: dict[str, tuple[float, float]] = {
    "semiconductor": (0.20, 0.40),
    "hyperscaler_cloud": (0.20, 0.40),
    "neocloud": (0.05, 0.20),
    "foundry_equipment": (0.0, 0.20),
    "networking_hardware": (0.0, 0.15),
    "data_center_power": (0.0, 0.15),
    "application": (0.0, 0.20),
    "model_lab": (0.0, 0.10),
}


class DealType(StrEnum):
    """What a deal is; it decides the dependence channel (see :class:`ExposureModel`)."""

    equity_investment = "equity_investment"
    cloud_compute_contract = "cloud_compute_contract"
    chip_supply = "chip_supply"
    custom_chip_partnership = "custom_chip_partnership"
    data_center_project = "data_center_project"
    licensing_partnership = "licensing_partnership"
    other = "other"


class Status(StrEnum):
    """How firm the public record of a deal is, or that it is no longer in force.

    ``lapsed``: announced or reported, then dropped without a formal end (a letter of intent that its parties
    later said was never a commitment, talks that ended). ``terminated``: ended formally (a merger vote failed, a
    contract canceled). Both count zero by default and stay listed.
    """

    completed = "completed"
    announced = "announced"
    reported = "reported"
    rumored = "rumored"
    lapsed = "lapsed"
    terminated = "terminated"


class SourceKind(StrEnum):
    """What a deal's ``source_url`` is: a regulatory filing (SEC, exchange), a party's own release, a news
    report, or an aggregator/blog page relaying others."""

    filing = "filing"
    company_release = "company_release"
    news = "news"
    aggregator = "aggregator"


#: Deal types whose money is revenue for the payee (a contract): the payee depends on the payer.
CONTRACT_TYPES: frozenset[str] = frozenset(
    {"cloud_compute_contract", "chip_supply", "custom_chip_partnership", "data_center_project",
     "licensing_partnership"}
)
