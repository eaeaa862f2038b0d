import pytest

from tests.e2e.cli import Cli


@pytest.fixture(scope="session")
def cli(dev_server: str, dev_worker: str, postgres_url: str) -> Cli:
    return Cli(dev_server, dev_worker, postgres_url)
