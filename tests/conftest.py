import pytest
from pydantic_ai import models

from agent.sandbox import Sandbox

models.ALLOW_MODEL_REQUESTS = False  # tests script the model; nothing may reach a real one


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(2) as sb:
        yield sb
