"""Command-line runner: `python -m meta_sandbox [--host 127.0.0.1] [--port 8765] ...`.

Serves a freshly seeded sandbox until interrupted (Ctrl-C or SIGTERM). Only loopback hosts
are accepted. Webhooks are delivered by a background thread as events happen (webhooks.py).
With `--state-file PATH` the state survives restarts: it is loaded from PATH
and written back after every request that changed it (`make run` uses
var/meta_sandbox/state.json).
"""

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from meta_sandbox import config
from meta_sandbox.app import create_app
from meta_sandbox.server import make_sandbox_server
from meta_sandbox.state import SandboxSettings

logger = logging.getLogger("meta_sandbox")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m meta_sandbox", description=__doc__)
    parser.add_argument("--host", default=config.DEFAULT_HOST, help="loopback address to bind")
    parser.add_argument("--port", type=int, default=config.DEFAULT_PORT)
    parser.add_argument("--app-id", default=config.DEFAULT_APP_ID)
    parser.add_argument("--app-secret", default=config.DEFAULT_APP_SECRET)
    parser.add_argument(
        "--no-require-appsecret-proof",
        action="store_true",
        help="accept user-token calls without appsecret_proof",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        help="keep the state in this JSON file across restarts (default: in memory only)",
    )
    return parser.parse_args(argv)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the server like Ctrl-C: cleanly, state saved


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = SandboxSettings(require_appsecret_proof=not args.no_require_appsecret_proof)
    app = create_app(
        app_id=args.app_id,
        app_secret=args.app_secret,
        settings=settings,
        state_file=args.state_file,
    )
    try:
        server = make_sandbox_server(app, host=args.host, port=args.port)
    except (ValueError, OSError) as exc:
        logger.error("meta_sandbox: %s", exc)
        return 2
    base = f"http://{args.host}:{server.port}"
    logger.info(
        "meta_sandbox: Graph API at %s/%s/ (app id %s)",
        base,
        config.DEFAULT_API_VERSION,
        args.app_id,
    )
    logger.info("meta_sandbox: console at %s/_sandbox/", base)
    signal.signal(signal.SIGTERM, _stop)
    app.state.webhooks.start()  # deliver webhooks to the app as they happen
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        app.state.webhooks.stop()
        server.server_close()
        app.state.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
