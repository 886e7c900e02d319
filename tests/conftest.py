import pytest

from agent.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(2) as sb:
        yield sb
