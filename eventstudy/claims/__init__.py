"""Did the market move as reported? Claims files, article reading and proxy checks.

* :mod:`eventstudy.claims.check`: read a claims file (:func:`load_claims`) and check each claim
  against prices (:func:`check_claims`).
* :mod:`eventstudy.claims.article`: read a news article, draft its market claims and place them in
  time (:func:`draft_claims`, :func:`check_article`).
* :mod:`eventstudy.claims.proxies`: the proxies table (:func:`load_proxies`), which instrument may
  stand in for which when a claim's own prices are missing, with its scale, band and caveats.
"""

from __future__ import annotations

from .article import DRAFT_COLUMNS, ArticleClaims, ArticleError, article_text, check_article, draft_claims, load_aliases
from .check import BASES, PROXY_BASES, RESULT_COLUMNS, VERDICTS, ClaimError, check_claims, claims_frame, load_claims
from .proxies import PROXY_COLUMNS, ProxyError, bundled_proxies_path, load_proxies

__all__ = ["ArticleClaims", "ArticleError", "BASES", "ClaimError", "DRAFT_COLUMNS", "PROXY_BASES", "PROXY_COLUMNS",
           "ProxyError", "RESULT_COLUMNS", "VERDICTS", "article_text", "bundled_proxies_path", "check_article",
           "check_claims", "claims_frame", "draft_claims", "load_aliases", "load_claims", "load_proxies"]
