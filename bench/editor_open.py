"""Opening the video editor (#17 "Measure"): server time for a 20-clip project, and edits.

Creates (if missing) and migrates the bench database, then makes a fresh workspace with an
editor, 20 ready video rows (the page reads their facts and signs their thumbnail URLs; no
file is read) and one project using all of them, with texts, 60 captions and two audio
tracks. In-process through Django's test client (middleware, session, templates included),
medians and p95 of ``--runs`` requests each:

- ``open_page``: GET the editor page (the document, its state JSON, the library list, the
  render history); target <= 1 s;
- ``state_json``: GET ``state.json``;
- ``edit_split`` / ``undo``: one split through ``edit/`` and its undo (a version written and
  walked back, with the full state answered);
- the same page for a 2-clip project, to show the cost does not grow with the clips.

Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prosocial_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python -m bench.editor_open [--runs 30]

Writes ``bench/results/editor_open.json``.
"""

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from bench.dashboard_latency import (
    BenchError,
    bench_database,
    create_database_if_missing,
    migrate,
    positive_int,
    setup_django,
)
from bench.transcode_ratio import environment_report

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_PATH = BASE_DIR / "bench" / "results" / "editor_open.json"
TARGET_OPEN_S = 1.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.editor_open", description=__doc__)
    parser.add_argument("--runs", type=positive_int, default=30, help="requests per measurement")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="where to write JSON")
    return parser.parse_args(argv)


def seed(clips: int) -> tuple[Any, Any]:
    """Return (membership, project): a fresh workspace whose project uses ``clips`` videos."""
    from accounts.models import Membership, User, Workspace
    from creatives.editor import services
    from creatives.editor.document import parse_document, to_json
    from creatives.library.models import MediaAsset

    tag = uuid.uuid4().hex[:8]
    user = User.objects.create_user(email=f"bench-editor-{tag}@bench.example.com", password="x")
    workspace = Workspace.objects.create(name=f"Editor bench {tag}", slug=f"editor-bench-{tag}")
    membership = Membership.objects.create(workspace=workspace, user=user, role="owner")
    assets = [
        MediaAsset.objects.create(
            workspace=workspace,
            kind="video",
            status=MediaAsset.Status.READY,
            original_filename=f"clip-{i:02}.mp4",
            storage_key=f"bench/clip-{i:02}.mp4",
            poster_key=f"bench/clip-{i:02}.jpg",
            duration_seconds=3.0,
            has_audio=True,
            width=1920,
            height=1080,
        )
        for i in range(clips)
    ]
    song = MediaAsset.objects.create(
        workspace=workspace,
        kind="audio",
        status=MediaAsset.Status.READY,
        original_filename="song.mp3",
        storage_key="bench/song.mp3",
        duration_seconds=120.0,
        has_audio=True,
    )
    project = services.create_project(
        actor=membership, name=f"{clips} clips", ratios=["9:16", "1:1"], assets=assets
    )
    data = to_json(parse_document(project.current_version.document))
    total = 3.0 * clips
    data["texts"] = [
        {
            "id": f"t{i}",
            "text": f"Text {i}",
            "style": "title",
            "x": 0.5,
            "y": 0.2,
            "start": i,
            "end": i + 2,
        }
        for i in range(5)
    ]
    data["captions"] = [
        {
            "start": round(i * total / 60, 3),
            "end": round((i + 0.9) * total / 60, 3),
            "text": f"Caption number {i}",
        }
        for i in range(60)
    ]
    data["audio"] = [
        {
            "id": "a1",
            "asset": song.pk,
            "role": "music",
            "start": 0,
            "in": 0,
            "out": total,
            "volume": 0.4,
            "fade_in": 0,
            "fade_out": 1,
            "duck": True,
        },
    ]
    services.save_document(actor=membership, project=project, data=data, base_version=1)
    return membership, project


def timed(call: Callable[[], Any], runs: int) -> dict[str, float]:
    for _ in range(3):
        call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 2),
        "runs": runs,
    }


def count_query(seen: list[str], run: Callable[..., Any], sql: str, *rest: Any) -> Any:
    """Execute wrapper: note ``sql`` and run it."""
    seen.append(sql)
    return run(sql, *rest)


def split_then_undo(client: Any, slug: str, project: Any) -> Callable[[], None]:
    """Return a call that splits the first clip through ``edit/`` and undoes it."""
    from django.urls import reverse

    version = [project.current_version.number]
    edit_url = reverse("editor:edit", args=[slug, project.pk])
    undo_url = reverse("editor:undo", args=[slug, project.pk])

    def call() -> None:
        body = {"base_version": version[0], "op": "split", "args": {"clip": "c1", "at": 1.5}}
        answer = client.post(edit_url, json.dumps(body), content_type="application/json").json()
        back = client.post(
            undo_url,
            json.dumps({"base_version": answer["version"]}),
            content_type="application/json",
        ).json()
        version[0] = back["version"]

    return call


def run(args: argparse.Namespace) -> dict[str, Any]:
    setup_django()
    db = bench_database()
    create_database_if_missing(db)
    migrate()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    results: dict[str, Any] = {}
    for clips in (20, 2):
        membership, project = seed(clips)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(membership.user)
        slug = membership.workspace.slug

        def get(name: str, *, _slug: str = slug, _pk: int = project.pk, _c: Client = client) -> Any:
            response = _c.get(reverse(f"editor:{name}", args=[_slug, _pk]))
            if response.status_code != 200:
                raise BenchError(f"{name} answered {response.status_code}")
            return response

        queries: list[str] = []
        with connection.execute_wrapper(partial(count_query, queries)):
            get("project")
        entry: dict[str, Any] = {
            "open_page": timed(lambda: get("project"), args.runs),
            "open_page_queries": len(queries),
            "state_json": timed(lambda: get("state"), args.runs),
        }
        if clips == 20:
            split_and_undo = split_then_undo(client, slug, project)
            entry["split_then_undo"] = timed(split_and_undo, max(5, args.runs // 3))
        results[f"{clips}_clips"] = entry
    open_p95_s = results["20_clips"]["open_page"]["p95_ms"] / 1000
    return {
        "bench": "editor_open",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": environment_report(),
        "results": results,
        "target": {"open_20_clip_project_s": TARGET_OPEN_S, "met": open_p95_s <= TARGET_OPEN_S},
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = run(args)
    except BenchError as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report["results"], indent=2))
    print("target met:", report["target"]["met"])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
