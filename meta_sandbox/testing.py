"""Run the sandbox in a background thread for a test session.

    with start_server() as sandbox:          # 127.0.0.1, a free port
        requests.get(f"{sandbox.url}/v25.0/me", ...)
        sandbox.app.state.add_fault(path="/me/accounts", error={"code": 4})

`sandbox.url` has no trailing slash and no version; `sandbox.graph_url` adds the
default version. `stop()` shuts the server down and joins its thread.
"""

import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from werkzeug.serving import BaseWSGIServer

from meta_sandbox import config
from meta_sandbox.app import SandboxApp, create_app
from meta_sandbox.server import make_sandbox_server
from meta_sandbox.state import SandboxSettings, SandboxState


@dataclass
class RunningSandbox:
    app: SandboxApp
    server: BaseWSGIServer
    thread: threading.Thread
    _stopped: bool = field(default=False, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def graph_url(self) -> str:
        return f"{self.url}/{config.DEFAULT_API_VERSION}"

    @property
    def state(self) -> SandboxState:
        return self.app.state

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def __enter__(self) -> "RunningSandbox":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_server(
    *,
    port: int = 0,
    app_id: str = config.DEFAULT_APP_ID,
    app_secret: str = config.DEFAULT_APP_SECRET,
    settings: SandboxSettings | None = None,
    quiet: bool = True,
    state_file: Path | None = None,
) -> RunningSandbox:
    """Start a sandbox on 127.0.0.1 (`port` 0 picks a free port) in a daemon thread.

    With `state_file` it keeps its state there (and starts from it), as `--state-file` does.
    """
    app = create_app(app_id=app_id, app_secret=app_secret, settings=settings, state_file=state_file)
    server = make_sandbox_server(app, host="127.0.0.1", port=port, quiet=quiet)
    thread = threading.Thread(target=server.serve_forever, name="meta-sandbox", daemon=True)
    thread.start()
    return RunningSandbox(app, server, thread)
