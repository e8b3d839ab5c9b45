"""Where an AI generation job's time goes, with the built-in offline provider, in-process.

Creates (if missing) and migrates the bench database, makes a fresh workspace (an owner, a
campaign with an offer, one audience, AI settings forced to the offline provider; the server's
OPENAI_API_KEY is emptied too) with media in a temporary directory, and runs jobs the way a
worker does, by calling ``generation.run_generation_job`` in this process (no Celery: the
``on_commit`` enqueue is replaced by a no-op so no message reaches a broker):

- ``scripts``: a 3-variant scripts job, ``--runs`` times (median);
- ``storyboard``: a storyboard job for one script, ``--runs`` times (median);
- ``video_9x16``: a 9:16 video job from a fresh script (no storyboard yet), so the job plans
  the storyboard (6 scenes), draws every scene image, asks for a voice-over (the offline
  provider has no voice) and composes, ``--video-runs`` times. Each video job gets a new
  campaign with the same brief, so every one renders the same text (see ``fresh_script``);
- ``video_all``: the same for 9:16, 1:1 and 4:5 in one job.

The video jobs' wall time is split by timing shims installed by this script only (product
code is unchanged): ``OfflineProvider.make_image`` (images phase) and
``creatives.studio.generation.compose_video`` (compose phase, per ratio). The rest is the job's
overhead; inside it ``keep_generated_file`` (inspecting and storing each image and video),
``check_conformance`` and the SQL time are timed too. Queries are counted with
``CaptureQueriesContext`` around ``run_generation_job`` (the job's own DB cost; the view's
``start_*`` call is counted separately). Text jobs get one extra, untimed, counted run so the
capture doesn't sit in their timings; video jobs are counted during the timed run (the
capture costs microseconds per query against seconds of work).

Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prosocial_bench_gen \\
    REDIS_URL=redis://127.0.0.1:6379/7 \\
    .venv/bin/python -m bench.generation_job [--runs 3] [--video-runs 1]

Writes ``bench/results/generation_job.json``. The workspace is deleted at the end.
"""

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
RESULTS_PATH = BASE_DIR / "bench" / "results" / "generation_job.json"
OWNER_EMAIL = "bench-gen-owner@bench.example.com"
ALL_ASPECTS = ["9:16", "1:1", "4:5"]
VIDEO_JOBS = itertools.count(1)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generation_job",
        description="Where an AI generation job's time goes (offline provider, in-process).",
    )
    parser.add_argument(
        "--runs", type=positive_int, default=3, help="timed runs of the scripts/storyboard jobs"
    )
    parser.add_argument(
        "--video-runs", type=positive_int, default=1, help="timed runs of each video job"
    )
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="where to write JSON")
    return parser.parse_args(argv)


# --- Timing shims ------------------------------------------------------------------------------


@dataclass
class Probe:
    """What the shims saw during one job."""

    images: list[float] = field(default_factory=list)
    compose: list[tuple[str, float]] = field(default_factory=list)  # (aspect, seconds)
    stores: list[tuple[str, float, int, float]] = field(default_factory=list)  # kind, s, SQL
    conformance: list[float] = field(default_factory=list)


class Shims:
    """Wrap the provider's image call, the composer and storing; product code is untouched."""

    def __init__(self) -> None:
        self.probe = Probe()
        self._undo: list[Callable[[], None]] = []

    def _patch(self, owner: Any, name: str, wrapper: Callable[..., Any]) -> None:
        original = getattr(owner, name)
        setattr(owner, name, wrapper(original))
        self._undo.append(lambda: setattr(owner, name, original))

    def install(self) -> None:
        from django.db import connection

        from creatives.library import services as media_services
        from creatives.studio import generation
        from creatives.studio.ai.offline import OfflineProvider
        from creatives.studio.compose.spec import SIZES

        aspect_of = {size: aspect for aspect, size in SIZES.items()}

        def timed_image(original: Callable[..., Any]) -> Callable[..., Any]:
            def make_image(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    self.probe.images.append(time.perf_counter() - started)

            return make_image

        def timed_compose(original: Callable[..., Any]) -> Callable[..., Any]:
            def compose_video(spec: Any, *args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return original(spec, *args, **kwargs)
                finally:
                    elapsed = time.perf_counter() - started
                    self.probe.compose.append((aspect_of.get(tuple(spec.size), "?"), elapsed))

            return compose_video

        def timed_store(original: Callable[..., Any]) -> Callable[..., Any]:
            def keep_generated_file(*args: Any, **kwargs: Any) -> Any:
                kind = "video" if str(kwargs.get("path", "")).endswith(".mp4") else "image"
                before = len(connection.queries_log)
                started = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    elapsed = time.perf_counter() - started
                    inside = list(connection.queries_log)[before:]
                    sql_s = sum(float(q["time"]) for q in inside)
                    self.probe.stores.append((kind, elapsed, len(inside), sql_s))

            return keep_generated_file

        def timed_conformance(original: Callable[..., Any]) -> Callable[..., Any]:
            def check_conformance(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    self.probe.conformance.append(time.perf_counter() - started)

            return check_conformance

        self._patch(OfflineProvider, "make_image", timed_image)
        self._patch(generation, "compose_video", timed_compose)
        self._patch(media_services, "keep_generated_file", timed_store)
        self._patch(generation, "check_conformance", timed_conformance)
        # No Celery: the job runs here, so the on_commit enqueue must not reach a broker
        # (a worker listening on it would race this process for the job).
        self._patch(generation, "_enqueue", lambda original: lambda job_id: None)

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def reset(self) -> Probe:
        self.probe = Probe()
        return self.probe


# --- Setup -------------------------------------------------------------------------------------


@contextmanager
def bench_settings(media_root: Path) -> Iterator[None]:
    from django.conf import settings
    from django.test.utils import override_settings

    storages = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    with override_settings(MEDIA_ROOT=media_root, STORAGES=storages, OPENAI_API_KEY=""):
        yield


@dataclass
class World:
    actor: Any
    workspace: Any
    campaign: Any
    cohort: Any


def new_brief(workspace: Any, owner: Any, name: str) -> tuple[Any, Any]:
    """A campaign (with an offer, no logo) and one audience; every call gets the same brief."""
    from campaigns.models import AudienceCohort, Campaign

    campaign = Campaign.objects.create(
        workspace=workspace,
        created_by=owner,
        name=name,
        product_name="Acme Trail Shoes",
        key_message="Grip that holds on wet rock.",
        offer="20% off the first pair",
        brand_colors=["#0B3D2E", "#F2C14E"],
    )
    cohort = AudienceCohort.objects.create(
        campaign=campaign, name="Weekend hikers", countries=["DE"], interests=["hiking"]
    )
    return campaign, cohort


def make_world() -> World:
    """A fresh workspace per run (so reruns never meet old rows or a full media quota)."""
    from accounts import services
    from accounts.models import Membership, User
    from creatives.studio import generation
    from creatives.studio.models import AISettings

    owner = User.objects.filter(email=OWNER_EMAIL).first() or User.objects.create_user(
        OWNER_EMAIL, contact_name="Bench Owner"
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    workspace = services.create_workspace(
        user=owner, name=f"Bench generation {stamp}", company_name="Bench Co"
    )
    actor = Membership.objects.select_related("workspace", "user").get(
        workspace=workspace, user=owner
    )
    AISettings.objects.create(workspace=workspace, provider=AISettings.Provider.OFFLINE)
    campaign, cohort = new_brief(workspace, owner, "Trail launch")
    if generation.provider_name_for(workspace) != "offline":
        raise BenchError("the workspace's provider is not the offline one")
    return World(actor=actor, workspace=workspace, campaign=campaign, cohort=cohort)


# --- Running jobs ------------------------------------------------------------------------------


@dataclass
class JobRun:
    job_id: int
    wall_s: float
    start_queries: int
    queries: int = 0
    sql_s: float = 0.0
    verbs: dict[str, int] = field(default_factory=dict)
    ai_calls: dict[str, int] = field(default_factory=dict)


def run_job(start: Callable[[], Any], *, count: bool) -> JobRun:
    """Start a job as a view does, then run it in-process; fail loudly unless it succeeded."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from creatives.studio import generation
    from creatives.studio.models import AICall, GenerationJob

    with CaptureQueriesContext(connection) as started:
        job = start()
    if count:
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            generation.run_generation_job(job_id=job.pk)
            wall = time.perf_counter() - began
    else:
        began = time.perf_counter()
        generation.run_generation_job(job_id=job.pk)
        wall = time.perf_counter() - began
    job.refresh_from_db()
    if job.status != GenerationJob.Status.SUCCEEDED:
        raise BenchError(f"{job.kind} job {job.pk} ended {job.status}: {job.error or job.message}")
    providers = set(AICall.objects.filter(job=job).values_list("provider", flat=True))
    if providers != {"offline"}:
        raise BenchError(f"job {job.pk} called providers {sorted(providers)}, not only offline")
    result = JobRun(job_id=job.pk, wall_s=wall, start_queries=len(started.captured_queries))
    result.ai_calls = dict(
        Counter(AICall.objects.filter(job=job).values_list("operation", flat=True))
    )
    if count:
        queries = captured.captured_queries
        result.queries = len(queries)
        result.sql_s = sum(float(q["time"]) for q in queries)
        result.verbs = dict(Counter(q["sql"].split(None, 1)[0].upper() for q in queries))
    return result


def fresh_script(world: World, label: str) -> Any:
    """A new script with no storyboard: variant 2 of a new campaign with the same brief.

    The offline provider's variants rotate, and the second one of this brief always plans the
    same 6 scenes (hook, 3 body sentences, offer, CTA: 21 s of scenes, a 20.0 s video), so
    every video job renders the same text whatever ran before.
    """
    from creatives.studio import generation
    from creatives.studio.models import Script

    _campaign, cohort = new_brief(world.workspace, world.actor.user, f"Trail launch ({label})")
    run_job(
        lambda: generation.start_scripts(actor=world.actor, cohort=cohort, variants=2),
        count=False,
    )
    return Script.objects.get(cohort=cohort, number=2)


def text_jobs(world: World, runs: int) -> dict[str, Any]:
    from creatives.studio import generation
    from creatives.studio.models import Script, StoryboardScene

    def scripts() -> Any:
        return generation.start_scripts(actor=world.actor, cohort=world.cohort, variants=3)

    run_job(scripts, count=False)  # warm-up: imports, templates, first connection use
    script = Script.objects.filter(cohort=world.cohort).order_by("number").first()

    def storyboard() -> Any:
        return generation.start_storyboard(actor=world.actor, script=script)

    run_job(storyboard, count=False)
    results: dict[str, Any] = {}
    for name, start in (("scripts", scripts), ("storyboard", storyboard)):
        timed = []
        for index in range(runs):
            timed.append(run_job(start, count=False))
            print(f"{name} run {index + 1}: {timed[-1].wall_s * 1000:.1f} ms", flush=True)
        counted = run_job(start, count=True)
        walls = [r.wall_s for r in timed]
        results[name] = {
            "runs_ms": [round(w * 1000, 2) for w in walls],
            "median_ms": round(statistics.median(walls) * 1000, 2),
            "queries": counted.queries,
            "queries_by_verb": counted.verbs,
            "sql_ms": round(counted.sql_s * 1000, 2),
            "start_queries": counted.start_queries,
            "ai_calls": counted.ai_calls,
            "counted_run_ms": round(counted.wall_s * 1000, 2),
        }
    results["scripts"]["variants"] = 3
    results["storyboard"]["scenes"] = StoryboardScene.objects.filter(
        storyboard=generation.current_storyboard(script)
    ).count()
    return results


def video_job(world: World, shims: Shims, aspects: list[str]) -> dict[str, Any]:
    from creatives.studio import generation
    from creatives.studio.models import Creative, StoryboardScene

    script = fresh_script(world, f"video {next(VIDEO_JOBS)}")
    probe = shims.reset()
    run = run_job(
        lambda: generation.start_videos(actor=world.actor, script=script, aspects=aspects),
        count=True,
    )
    creatives = {
        c.aspect: c for c in Creative.objects.filter(script=script).select_related("asset")
    }
    if sorted(creatives) != sorted(aspects):
        raise BenchError(f"video job {run.job_id} made {sorted(creatives)}, wanted {aspects}")
    storyboard = generation.current_storyboard(script)
    scenes = StoryboardScene.objects.filter(storyboard=storyboard).count()
    images_s = sum(probe.images)
    compose_s = sum(s for _aspect, s in probe.compose)
    overhead_s = run.wall_s - images_s - compose_s
    store_images = [s for s in probe.stores if s[0] == "image"]
    store_videos = [s for s in probe.stores if s[0] == "video"]
    store_s = sum(s[1] for s in probe.stores)
    store_sql_s = sum(s[3] for s in probe.stores)
    conformance_s = sum(probe.conformance)
    sql_outside_store_s = run.sql_s - store_sql_s
    rest_s = overhead_s - store_s - conformance_s - sql_outside_store_s
    durations = {a: creatives[a].asset.duration_seconds for a in aspects}
    return {
        "aspects": aspects,
        "wall_s": run.wall_s,
        "scenes": scenes,
        "images": len(probe.images),
        "images_s": images_s,
        "compose_s": compose_s,
        "compose_by_aspect_s": dict(probe.compose),
        "overhead_s": overhead_s,
        "overhead": {
            "store_images_s": sum(s[1] for s in store_images),
            "store_videos_s": sum(s[1] for s in store_videos),
            "conformance_s": conformance_s,
            "sql_outside_store_s": sql_outside_store_s,
            "rest_s": rest_s,
        },
        "stores": len(probe.stores),
        "queries": run.queries,
        "queries_by_verb": run.verbs,
        "sql_s": run.sql_s,
        "start_queries": run.start_queries,
        "ai_calls": run.ai_calls,
        "video_duration_s": durations,
        "video_bytes": {a: creatives[a].asset.size_bytes for a in aspects},
        "video_size": {a: [creatives[a].asset.width, creatives[a].asset.height] for a in aspects},
        "wall_over_video_duration": run.wall_s / sum(durations.values()),
    }


def summarize_video(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over runs (one run: its values); seconds rounded to ms."""

    def med(get: Callable[[dict[str, Any]], float], digits: int = 3) -> float:
        return round(statistics.median(get(r) for r in runs), digits)

    first = runs[0]
    aspects = first["aspects"]
    return {
        "aspects": aspects,
        "runs": len(runs),
        "wall_s_runs": [round(r["wall_s"], 3) for r in runs],
        "wall_s": med(lambda r: r["wall_s"]),
        "scenes": first["scenes"],
        "images": first["images"],
        "images_s": med(lambda r: r["images_s"]),
        "image_mean_ms": med(lambda r: r["images_s"] / r["images"] * 1000, 1),
        "compose_s": med(lambda r: r["compose_s"]),
        "compose_by_aspect_s": {
            a: med(lambda r, a=a: r["compose_by_aspect_s"][a]) for a in aspects
        },
        "overhead_s": med(lambda r: r["overhead_s"]),
        "overhead": {key: med(lambda r, key=key: r["overhead"][key]) for key in first["overhead"]},
        "share": {
            "images": med(lambda r: r["images_s"] / r["wall_s"]),
            "compose": med(lambda r: r["compose_s"] / r["wall_s"]),
            "overhead": med(lambda r: r["overhead_s"] / r["wall_s"]),
        },
        "stores": first["stores"],
        "queries": first["queries"],
        "queries_by_verb": first["queries_by_verb"],
        "sql_s": med(lambda r: r["sql_s"]),
        "start_queries": first["start_queries"],
        "ai_calls": first["ai_calls"],
        "video_duration_s": first["video_duration_s"],
        "video_bytes": first["video_bytes"],
        "video_size": first["video_size"],
        "wall_over_video_duration": med(lambda r: r["wall_over_video_duration"]),
    }


# --- Main --------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    os.environ["OPENAI_API_KEY"] = ""  # the offline provider, whatever this shell has
    os.environ.pop("OPENAI_API_KEY_FILE", None)
    setup_django()
    import django
    from django.conf import settings
    from django.db import connection

    db = bench_database()
    if create_database_if_missing(db):
        print(f"created database {db['NAME']}")
    print("migrating…", flush=True)
    migrate()
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1) / 2:
        print(
            f"warning: 1-minute load average is {load:.2f} on {os.cpu_count()} cores; "
            "expect noisy numbers",
            file=sys.stderr,
        )
    report: dict[str, Any] = {
        "benchmark": "generation_job",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **environment_report(),
    }
    connection.ensure_connection()
    pg = connection.pg_version
    report["versions"].update(
        {"django": django.get_version(), "postgresql": f"{pg // 10000}.{pg % 10000}"}
    )
    began = time.perf_counter()
    shims = Shims()
    with (
        tempfile.TemporaryDirectory(prefix="bench-generation-") as media,
        bench_settings(Path(media)),
    ):
        from creatives.studio.compose import X264_PRESET

        report["settings"] = {
            "settings_module": os.environ["DJANGO_SETTINGS_MODULE"],
            "debug": settings.DEBUG,
            "database": db["NAME"],
            "cache": settings.CACHES["default"]["BACKEND"],
            "storage": settings.STORAGES["default"]["BACKEND"],
            "media_root": "temporary directory",
            "openai_api_key_set": bool(settings.OPENAI_API_KEY),
            "provider": "offline",
            "x264_preset": X264_PRESET,
        }
        shims.install()
        world = make_world()
        try:
            print("text jobs…", flush=True)
            text = text_jobs(world, args.runs)
            videos: dict[str, Any] = {}
            for name, aspects in (("video_9x16", ["9:16"]), ("video_all", ALL_ASPECTS)):
                runs = []
                for index in range(args.video_runs):
                    runs.append(video_job(world, shims, aspects))
                    r = runs[-1]
                    print(
                        f"{name} run {index + 1}: {r['wall_s']:.2f} s (images "
                        f"{r['images_s']:.2f} s x{r['images']}, compose {r['compose_s']:.2f} s, "
                        f"overhead {r['overhead_s']:.2f} s)",
                        flush=True,
                    )
                videos[name] = summarize_video(runs)
        finally:
            shims.uninstall()
            try:
                world.workspace.delete()
            except Exception as exc:  # leaving rows behind is harmless
                print(f"warning: the bench workspace was not deleted: {exc!r}", file=sys.stderr)
    report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["parameters"] = {
        "runs": args.runs,
        "video_runs": args.video_runs,
        "campaign": "product, key message, offer, two brand colours, no logo, no music",
        "voiceover": "asked for; the offline provider has none, so videos carry captions only",
    }
    report["results"] = {**text, **videos}
    report["total_runtime_s"] = round(time.perf_counter() - began, 1)
    return report


def print_summary(report: dict[str, Any]) -> None:
    r = report["results"]
    for name in ("scripts", "storyboard"):
        print(
            f"{name:<12} median {r[name]['median_ms']:8.1f} ms  "
            f"{r[name]['queries']:>4} queries (start {r[name]['start_queries']})"
        )
    for name in ("video_9x16", "video_all"):
        v = r[name]
        compose = ", ".join(f"{a} {s:.2f} s" for a, s in v["compose_by_aspect_s"].items())
        print(
            f"{name:<12} wall {v['wall_s']:.2f} s = images {v['images_s']:.2f} s "
            f"({v['images']}) + compose {v['compose_s']:.2f} s ({compose}) + overhead "
            f"{v['overhead_s']:.2f} s; {v['queries']} queries; video "
            f"{v['video_duration_s']} s, wall/duration {v['wall_over_video_duration']:.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = run(args)
    except BenchError as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    print()
    print_summary(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
