"""Fixtures for the meta_sandbox tests: one real server per session, reset before each test.

Everything goes over HTTP with `requests`, as the product will use the sandbox;
`sandbox.state` (the in-process Python API) is only used for the per-test reset and
where a test checks that API itself.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from meta_sandbox.testing import RunningSandbox, start_server
from tests.meta_sandbox.helpers import Graph, MediaServer, make_samples


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


@pytest.fixture(scope="session")
def media_samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Sample images and videos (made once per session with ffmpeg and Pillow)."""
    return make_samples(tmp_path_factory.mktemp("meta_sandbox_media"))


@pytest.fixture(scope="session")
def media_server(media_samples: dict[str, Path]) -> Iterator[MediaServer]:
    """A local HTTP server on 127.0.0.1 serving `media_samples` for the sandbox to fetch."""
    root = next(iter(media_samples.values())).parent
    server = MediaServer(root)
    yield server
    server.stop()
