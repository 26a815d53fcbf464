from pathlib import Path

import pandas as pd
import pytest

from eventstudy import BundledSource

ESTUDY2 = Path(__file__).resolve().parent / "data" / "estudy2"
"""R estudy2 0.10.0 reference inputs and outputs, copied into the repository (data/estudy2/PROVENANCE.md)."""


@pytest.fixture(scope="session")
def bundled():
    return BundledSource()


@pytest.fixture(scope="session")
def bundled_daily(bundled) -> pd.DataFrame:
    return bundled.daily()
