import pytest

from unspin import Restorer
from unspin.spin import Spinner


@pytest.fixture(scope="session")
def restorer() -> Restorer:
    return Restorer()


@pytest.fixture(scope="session")
def spinner() -> Spinner:
    return Spinner()
