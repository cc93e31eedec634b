"""The exposure model's default parameters as plain data, without pydantic (start-up speed, issue 13 item 8).

:class:`exposure.models.ExposureModel` takes its defaults from here and validates the parameters a user
gives; the engine, when no model is given, uses :class:`DefaultModel`, the same values read-only, so a cold
``exposure score`` does not load pydantic (about 0.1 s). tests/test_defaults.py checks that the two agree
field by field, in ``model_dump(mode="json")`` and in ``model_dump_json()``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from exposure.taxonomy import Status

#: Multiplier of a deal's amount by status: rumored deals count half, lapsed and terminated deals 0.
STATUS_WEIGHTS: dict[Status, float] = {
    Status.completed: 1.0, Status.announced: 1.0, Status.reported: 0.75, Status.rumored: 0.5,
    Status.lapsed: 0.0, Status.terminated: 0.0,
}


def default_durations() -> dict[str, float]:
    # Years over which an undisclosed-term contract is spread. Cloud deals of 2024-2026 were reported as
    # 4-7 year terms (OpenAI-Oracle 5, OpenAI-AWS 7, Microsoft-Nebius 5); chip and design deals as
    # multi-year roll-outs (4); data-center builds are long-lived (10); licenses 3.
    return {
        "cloud_compute_contract": 5.0,
        "chip_supply": 4.0,
        "custom_chip_partnership": 4.0,
        "data_center_project": 10.0,
        "licensing_partnership": 3.0,
    }


def default_usd_per_gw() -> dict[str, float]:
    # USD bn per GW for deals stated only in gigawatts, by the payee's layer. Nvidia's CEO (Aug/Sep 2025
    # earnings call) put a GW of AI data-center capacity at $50-60B, about $35B of it Nvidia's content:
    # we use 35 for a chip maker's share and 50 for a cloud or data-center builder's whole build cost.
    return {
        "semiconductor": 35.0,
        "foundry_equipment": 35.0,
        "networking_hardware": 35.0,
        "hyperscaler_cloud": 50.0,
        "neocloud": 50.0,
        "data_center_power": 50.0,
    }


@dataclass(frozen=True)
class DefaultModel:
    """``ExposureModel()``'s parameters (see its docstring for what each means), for the engine's default path.

    It reads like the model where the engine reads it: the same attributes, ``model_dump(mode="json")`` (the
    report's ``parameters``) and ``model_dump_json()`` (the key of :meth:`exposure.dealweb.DealWeb.sensitivity`'s
    cache, so ``ExposureModel()`` and the default share one ``L``).
    """

    kappa: float = 1.0
    phi: float = 0.5
    theta: float = 0.0
    status_weights: dict[Status, float] = field(default_factory=lambda: dict(STATUS_WEIGHTS))
    use_firm: bool = False
    use_estimates: bool = True
    default_duration_years: dict[str, float] = field(default_factory=default_durations)
    usd_per_gw: dict[str, float] = field(default_factory=default_usd_per_gw)
    gw_duration_years: float = 5.0

    def model_dump(self, mode: str = "json") -> dict[str, Any]:
        """The parameters as JSON values (enum keys as their text), as ``ExposureModel.model_dump(mode="json")``."""
        def plain(value: Any) -> Any:
            return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value

        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}

    def model_dump_json(self) -> str:
        """Compact JSON, as ``ExposureModel.model_dump_json()``."""
        return json.dumps(self.model_dump(), separators=(",", ":"))
