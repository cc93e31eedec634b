"""Hub loadings: the linear map from portfolio weights to hub exposure, for any optimizer.

A portfolio with weights ``w`` (fractions of its value, by ticker) has total exposure
``sum_t w[t] * loadings.loc[t, h]`` to hub ``h``, the ``total`` column of ``ex.analyze(...).hubs``. The
loadings are what :func:`exposure.suggest` caps; with them a cap on OpenAI exposure is one linear
constraint in PyPortfolioOpt, skfolio, Riskfolio-Lib or cvxportfolio (see ``docs/methods.md``, "Hub
loadings in other optimizers").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from exposure.batch import exposure_matrix
from exposure.dealweb import DealWeb

if TYPE_CHECKING:
    from exposure.market import MarketData
    from exposure.models import ExposureModel

__all__ = ["hub_loadings"]


def hub_loadings(web: DealWeb | None = None, tickers: Iterable[str] | None = None,
                 hubs: Iterable[str] | None = None, *, model: ExposureModel | None = None,
                 market: MarketData | None = None) -> pd.DataFrame:
    """Tickers x hubs: the fraction of a ticker's value exposed to each hub, directly or through deals.

    Parameters
    ----------
    web : the deal web (the bundled one when omitted); ``web.as_of(date)`` for a past state.
    tickers : the tickers to load (trimmed, upper-cased, duplicates dropped); every listed company of the
        web when omitted. A fund is looked through (its published holdings, as :func:`exposure.analyze`
        does), cash (``CASH``, ``USD``) and tickers outside the web load on no hub (a row of zeros).
    hubs : hub companies (ids, names or tickers, any case); every company of the web when omitted.
    model, market : as in :func:`exposure.analyze` (default :class:`~exposure.models.ExposureModel`,
        bundled snapshot).

    Returns
    -------
    DataFrame indexed by ``ticker`` with one column per hub (company id, columns named ``hub``). Entry
    ``[t, h]`` is ``1{t is h} + x_h[t]``: 1 for the hub's own shares plus every chain of deals from the
    ticker's company to h (``x_h = (I - L_h)^-1 L[:, h]``), a fraction per unit of weight. For a fund it is
    the weighted sum of its holdings' rows. Portfolio exposure to h is ``weights @ loadings[h]``.

    Examples
    --------
    >>> import exposure as ex
    >>> loadings = ex.hub_loadings(tickers=["ORCL", "NVDA", "KO"], hubs=["OpenAI"])
    >>> bool(loadings.loc["KO", "openai"] == 0.0)
    True
    """
    web = web if web is not None else DealWeb.bundled()
    names = list(tickers) if tickers is not None else list(web.listed["ticker"])
    matrix = exposure_matrix(names, web, model, market, list(hubs) if hubs is not None else None)
    return pd.DataFrame(matrix.values[:, : len(matrix.hubs)], index=matrix.tickers.rename("ticker"),
                        columns=pd.Index(matrix.hubs, name="hub"))
