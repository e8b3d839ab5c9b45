"""Fixtures for the meta_sandbox tests: one real server per session, reset before each test.

Everything goes over HTTP with `requests`, as the product will use the sandbox;
`sandbox.state` (the in-process Python API) is only used for the per-test reset and
where a test checks that API itself.
"""

from collections.abc import Iterator

import pytest

from meta_sandbox.testing import RunningSandbox, start_server
from tests.meta_sandbox.helpers import Graph


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    with start_server() as running:
        yield running


@pytest.fixture(autouse=True)
def _reset_sandbox(sandbox: RunningSandbox) -> None:
    sandbox.state.reset()


@pytest.fixture
def graph(sandbox: RunningSandbox) -> Graph:
    return Graph(sandbox)
