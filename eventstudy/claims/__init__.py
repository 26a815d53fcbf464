"""Did the market move as reported? Claims files, article reading and proxy checks.

* :mod:`eventstudy.claims.check`: read a claims file (:func:`load_claims`) and check each claim
  against prices (:func:`check_claims`).
"""

from __future__ import annotations

from .check import BASES, RESULT_COLUMNS, VERDICTS, ClaimError, check_claims, load_claims

__all__ = ["BASES", "ClaimError", "RESULT_COLUMNS", "VERDICTS", "check_claims", "load_claims"]
