"""Did the market move as reported? Claims files, article reading and proxy checks.

* :mod:`eventstudy.claims.check`: read a claims file (:func:`load_claims`) and check each claim
  against prices (:func:`check_claims`).
"""

from __future__ import annotations

from .article import ArticleClaims, article_text, check_article, draft_claims, load_aliases
from .check import BASES, RESULT_COLUMNS, VERDICTS, ClaimError, check_claims, claims_frame, load_claims

__all__ = ["ArticleClaims", "BASES", "ClaimError", "RESULT_COLUMNS", "VERDICTS", "article_text", "check_article",
           "check_claims", "claims_frame", "draft_claims", "load_aliases", "load_claims"]
