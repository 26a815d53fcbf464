"""Did the market move as reported? Claims files, article reading and proxy checks.

* :mod:`eventstudy.claims.check`: read a claims file (:func:`load_claims`) and check each claim
  against prices (:func:`check_claims`).
* :mod:`eventstudy.claims.proxies`: the proxies table (:func:`load_proxies`), which instrument may
  stand in for which when a claim's own prices are missing, with its scale, band and caveats.
"""

from __future__ import annotations

from .check import BASES, PROXY_BASES, RESULT_COLUMNS, VERDICTS, ClaimError, check_claims, load_claims
from .proxies import PROXY_COLUMNS, ProxyError, bundled_proxies_path, load_proxies

__all__ = ["BASES", "ClaimError", "PROXY_BASES", "PROXY_COLUMNS", "ProxyError", "RESULT_COLUMNS", "VERDICTS",
           "bundled_proxies_path", "check_claims", "load_claims", "load_proxies"]
