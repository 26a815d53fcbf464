import pandas as pd
import pytest

from eventstudy import BundledSource


@pytest.fixture(scope="session")
def bundled():
    return BundledSource()


@pytest.fixture(scope="session")
def bundled_daily(bundled) -> pd.DataFrame:
    return bundled.daily()
