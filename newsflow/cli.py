"""The newsflow command.

newsflow run [--demo] [--stage S]   the pipeline (all stages, or one)
newsflow watch [--json] ...         a live view of the processed topic
newsflow stories [--json] ...       the live stories, biggest first
newsflow consumers [--watch]        the output's consumer groups, judged
newsflow config                     the effective settings
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from adapters.consumer_watcher import ConsumerStateCollector
from adapters.http_fetch import HttpFetcher
from adapters.kafka_client import check_kafka_login, ensure_topics, read_topic
from adapters.metrics_registry import (
    MULTIPROCESS_ENV,
    LagCollector,
    fresh_multiprocess_dir,
    process_registry,
    supervisor_registry,
)
from adapters.ops_http import OpsServer
from adapters.redis_access import acl_rule
from ingest.feeds import FeedsFileError
from ingest.opml import OpmlError
from newsflow.backfill import STAGE_INPUT, TARGETS, backfill, replay
from newsflow.consumers_command import consumer_watcher, run_consumers
from newsflow.explain import explain
from newsflow.feeds_command import discover_lines, export_opml, import_opml, list_lines
from newsflow.local_services import (
    LocalServices,
    check_redis,
    discover,
    ensure_services,
    write_services_file,
)
from newsflow.logs import configure_logging
from newsflow.settings import Settings, SettingsError
from newsflow.stages import (
    REDIS_STAGES,
    STAGES,
    build_stage,
    fetch_limits,
    group_of,
    stage_inputs,
    topics_of,
)
from newsflow.status import status_lines
from newsflow.stories_command import (
    DEFAULT_LIMIT,
    DEFAULT_MIN_SIZE,
    gather_stories,
    shown_stories,
    story_json,
    story_lines,
)
from newsflow.supervisor import Supervisor, install_stop_signals
from newsflow.watch import WatchFilter, format_line, parse_tag, since_ms
from newsflow.web_command import Newsroom, run_web, start_newsroom
from services.process import ServiceStartError
from services.replay_server import ReplayServer, load_story_set
from workers.errors import AccessRefused, PipelineError, TransientError

logger = logging.getLogger("newsflow")

SUPERVISED_ENV = "NEWSFLOW_SUPERVISED"
UNREACHABLE_HINT = (
    "newsflow: is the pipeline running? Start it with `make run` (or `newsflow run`), or set "
    "NEWSFLOW_KAFKA_BOOTSTRAP and NEWSFLOW_REDIS_URL to servers that are up."
)
DEMO_STORIES = Path(__file__).resolve().parent.parent / "demo" / "stories.toml"
# A server refused our login, certificate or a command: a restart cannot mend it (the unit
# in deploy/ does not restart on it).
ACCESS_REFUSED_EXIT = 3


def load_settings(config: str | None, environ: Mapping[str, str]) -> Settings:
    path = Path(config or environ.get("NEWSFLOW_CONFIG", "newsflow.toml"))
    if config is not None and not path.exists():
        raise SettingsError([f"config file {path} does not exist"])
    text = path.read_text(encoding="utf-8") if path.exists() else None
    return Settings.load(environ, text).with_files_read()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsflow", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="TOML config file (default: ./newsflow.toml if present)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the pipeline in the foreground until Ctrl-C")
    run.add_argument("--stage", choices=STAGES, help="run this one stage in this process")
    run.add_argument("--stages", default=",".join(STAGES), help="stages to supervise")
    run.add_argument("--demo", action="store_true", help="serve and poll the bundled demo feeds")
    watch = sub.add_parser("watch", help="show processed articles as they arrive")
    watch.add_argument("--json", action="store_true", help="one JSON message a line")
    watch.add_argument("--from-beginning", action="store_true", help="replay the whole topic")
    watch.add_argument("--since", help="replay from a time: 15m, 2h, 1d or ISO 8601")
    watch.add_argument("--idle-exit-s", type=float, help="exit after this long without news")
    watch.add_argument("--lang", help="only this language (ISO 639-1)")
    watch.add_argument("--status", help="only this dedupe relation (original, exact_duplicate...)")
    watch.add_argument("--source", help="only this outlet")
    watch.add_argument("--tag", help="only articles with this tag: NAME=VALUE, e.g. language=ar")
    watch.add_argument("--story", help="only this story's articles (its id, or the first 8 hex)")
    watch.add_argument(
        "--min-story-size",
        type=int,
        help="only articles whose story had this many articles once they joined it",
    )
    stories = sub.add_parser("stories", help="the live stories, biggest first")
    stories.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="stories shown")
    stories.add_argument(
        "--min-size", type=int, default=DEFAULT_MIN_SIZE, help="only stories of this many articles"
    )
    stories.add_argument("--json", action="store_true", help="one JSON object a story")
    explain = sub.add_parser("explain", help="why an article got its verdict and story")
    explain.add_argument("article_id", help="the 32-hex article id (the record key)")
    explain.add_argument("--idle-exit-s", type=float, default=3.0, help="stop reading after this")
    consumers = sub.add_parser(
        "consumers", help="the output's consumer groups: lag in records and seconds, state"
    )
    consumers.add_argument("--watch", action="store_true", help="refresh in place until Ctrl-C")
    status = sub.add_parser("status", help="feeds' health, consumer lag, recent flow")
    status.add_argument("--minutes", type=int, default=5, help="the recent window")
    feeds = sub.add_parser("feeds", help="the feeds file: list, import or export OPML")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True)
    feeds_sub.add_parser("list", help="the feeds newsflow polls")
    imported = feeds_sub.add_parser("import-opml", help="add the feeds of an OPML file")
    imported.add_argument("opml", type=Path)
    exported = feeds_sub.add_parser("export-opml", help="write the feeds as OPML")
    exported.add_argument("opml", type=Path, nargs="?", help="file (default: standard output)")
    discovered = feeds_sub.add_parser("discover", help="find the feeds of a homepage")
    discovered.add_argument("url", help="the site's homepage (or any page of it)")
    discovered.add_argument(
        "--add", action="store_true", help="add what is found to the feeds file"
    )
    backfill_cmd = sub.add_parser(
        "backfill", help="load a JSON Lines file of messages onto a topic"
    )
    backfill_cmd.add_argument("file", type=Path, help="one entry.v1 or article.v1 message a line")
    backfill_cmd.add_argument("--topic", choices=sorted(TARGETS), default="articles")
    replay_cmd = sub.add_parser("replay", help="make a stopped stage handle its input again")
    replay_cmd.add_argument("--stage", choices=sorted(STAGE_INPUT), required=True)
    replay_cmd.add_argument("--since", required=True, help="15m, 2h, 1d or ISO 8601")
    sub.add_parser("web", help="serve the newsroom view against a running pipeline")
    sub.add_parser("config", help="print the effective settings (secrets masked)")
    acl = sub.add_parser(
        "redis-acl", help="print the Redis ACL rule that grants what newsflow needs, no more"
    )
    acl.add_argument("--user", default="newsflow", help="the ACL user's name")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config, os.environ)
        stage = getattr(args, "stage", None) or args.command
        configure_logging(settings.log_level, settings.log_format, stage)
        if args.command == "config":
            print(json.dumps(settings.masked(), indent=2, ensure_ascii=False))
            return 0
        if args.command == "redis-acl":
            select = urlsplit(settings.redis_url).path.strip("/") not in ("", "0")
            rule = acl_rule(settings.redis_key_prefix, args.user, select=select)
            print(f"ACL SETUSER {rule} >PASSWORD")
            return 0
        if args.command == "watch":
            return _watch(_connected(settings), args)
        if args.command == "explain":
            return _explain(_connected(settings), args)
        if args.command == "stories":
            return _stories(_connected(settings), args)
        if args.command == "feeds":
            return _feeds(settings, args)
        if args.command == "backfill":
            report = backfill(_connected(settings), args.file, args.topic)
            print(f"backfill: {report.sent} sent, {report.invalid} invalid lines skipped")
            return 1 if report.invalid and not report.sent else 0
        if args.command == "replay":
            return _replay(_connected(settings), args)
        if args.command == "consumers":
            return run_consumers(_connected(settings), args.watch)
        if args.command == "status":
            print("\n".join(status_lines(_connected(settings), args.minutes * 60)))
            return 0
        if args.command == "web":
            return run_web(_connected(settings))
        if args.stage:
            return _run_stage(_connected(settings), args.stage)
        return _run_all(settings, args)
    except TransientError as exc:
        print(f"newsflow: {exc}\n{UNREACHABLE_HINT}", file=sys.stderr)
        return 2
    except AccessRefused as exc:
        print(f"newsflow: {exc}", file=sys.stderr)
        return ACCESS_REFUSED_EXIT
    except (SettingsError, FeedsFileError, OpmlError, ServiceStartError, PipelineError) as exc:
        print(f"newsflow: {exc}", file=sys.stderr)
        return 2


def _stop_when_orphaned(stop: threading.Event) -> None:
    """A supervised stage lives in its own session (see supervisor.py), so it would outlive a
    supervisor killed with SIGKILL; it stops itself when its parent is gone."""
    parent = os.getppid()

    def watch_parent() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent:
                logger.warning("supervisor gone, stopping")
                stop.set()

    threading.Thread(target=watch_parent, name="parent-watch", daemon=True).start()


def _connected(settings: Settings) -> Settings:
    """The cluster of the settings (or of a running pipeline), its Kafka login checked once:
    a refused password or certificate is named now, not hidden behind a client's retries."""
    found = discover(settings)
    check_kafka_login(found.kafka())
    return found


def _run_stage(settings: Settings, stage_name: str) -> int:
    stop = threading.Event()
    install_stop_signals(stop)
    if stage_name in REDIS_STAGES and settings.redis_url:
        check_redis(settings)  # its login and its ACL, before any input meets a refusal
    # Idempotent: a stage started alone (another host, a container) finds its topics.
    ensure_topics(settings.kafka(), topics_of(settings).all(), settings.topic_partitions)
    stage = build_stage(settings, stage_name, stop)
    ops = None
    if settings.metrics_port:  # a stage run alone serves its own metrics
        ops = OpsServer.start(
            settings.metrics_host, settings.metrics_port, process_registry(), lambda: None
        )
    if os.environ.get(SUPERVISED_ENV) == "1":
        _stop_when_orphaned(stage.stop)
    try:
        stage.run()
    finally:
        stage.close()
        if ops is not None:
            ops.stop()
    return 0


def _run_all(settings: Settings, args: argparse.Namespace) -> int:
    stop = threading.Event()
    install_stop_signals(stop)
    services = ensure_services(settings)
    served = settings.with_services(services.kafka_bootstrap, services.redis_url)
    replay, ops, newsroom = None, None, None
    try:
        env = dict(os.environ)
        env["NEWSFLOW_KAFKA_BOOTSTRAP"] = services.kafka_bootstrap
        env["NEWSFLOW_REDIS_URL"] = services.redis_url
        env[SUPERVISED_ENV] = "1"
        if args.config:
            env["NEWSFLOW_CONFIG"] = args.config
        if args.demo:
            replay = ReplayServer.start(load_story_set(DEMO_STORIES), settings.demo_port)
            env.update(_demo_env(settings, services, replay))
        ensure_topics(served.kafka(), topics_of(settings).all(), settings.topic_partitions)
        stages = [s for s in args.stages.split(",") if s]
        metrics_dir = fresh_multiprocess_dir(settings.state_dir / "metrics")
        env[MULTIPROCESS_ENV] = str(metrics_dir)
        env["NEWSFLOW_METRICS_PORT"] = "0"  # the supervisor serves them all
        supervisor = Supervisor.of(stages, env)
        ops = _start_ops(served, metrics_dir, supervisor)
        if settings.web_port:
            newsroom = _start_web(settings, services, env)
        logger.info(
            "pipeline running kafka=%s stages=%s", services.kafka_bootstrap, ",".join(stages)
        )
        supervisor.run(stop)
    finally:
        if newsroom is not None:
            newsroom.stop()
        if ops is not None:
            ops.stop()
        if replay is not None:
            replay.stop()
        services.stop()
    logger.info("pipeline stopped")
    return 0


def _start_web(settings: Settings, services: LocalServices, env: Mapping[str, str]) -> Newsroom:
    """The newsroom view beside the pipeline, on the feeds file the stages poll."""
    seen = settings.with_services(services.kafka_bootstrap, services.redis_url)
    if "NEWSFLOW_FEEDS_FILE" in env:
        seen = seen.with_feeds_file(Path(env["NEWSFLOW_FEEDS_FILE"]))
    try:
        return start_newsroom(seen)
    except OSError as exc:
        raise ServiceStartError(f"{exc}: set web_port to a free port (0: no view)") from exc


def _start_ops(settings: Settings, metrics_dir: Path, supervisor: Supervisor) -> OpsServer | None:
    if not settings.metrics_port:
        return None
    bootstrap = settings.kafka()
    inputs = stage_inputs(settings)
    lag = LagCollector(bootstrap, [(group_of(settings, s), t) for s, t in inputs.items()])
    registry = supervisor_registry(metrics_dir, lag)
    watcher, _ = consumer_watcher(settings, bootstrap)  # its webhook lives as the process does
    registry.register(ConsumerStateCollector(watcher.start()))
    ops = OpsServer.start(
        settings.metrics_host, settings.metrics_port, registry, supervisor.readiness
    )
    logger.info(
        "serving /metrics /healthz /readyz at http://%s:%d", settings.metrics_host, ops.port
    )
    return ops


def _demo_env(settings: Settings, services: LocalServices, replay: ReplayServer) -> dict[str, str]:
    feeds = settings.state_dir / "demo-feeds.toml"
    feeds.parent.mkdir(parents=True, exist_ok=True)
    feeds.write_text(replay.site.feeds_toml(), encoding="utf-8")
    write_services_file(settings.state_dir, services, feeds)
    allowed = [*settings.fetch_allow_networks, "127.0.0.1/32"]
    logger.info("demo feeds served base=%s feeds_file=%s", replay.site.base_url, feeds)
    return {"NEWSFLOW_FEEDS_FILE": str(feeds), "NEWSFLOW_FETCH_ALLOW_NETWORKS": ",".join(allowed)}


def _feeds(settings: Settings, args: argparse.Namespace) -> int:
    feeds_file = settings.feeds_file
    if args.feeds_command == "list":
        print("\n".join(list_lines(feeds_file)))
    elif args.feeds_command == "import-opml":
        print(import_opml(feeds_file, args.opml))
    elif args.feeds_command == "discover":
        fetcher = HttpFetcher(fetch_limits(settings, settings.max_feed_bytes))
        try:
            print("\n".join(discover_lines(feeds_file, args.url, fetcher.get, args.add)))
        finally:
            fetcher.close()
    elif args.opml is None:
        sys.stdout.write(export_opml(feeds_file).decode("utf-8"))
    else:
        args.opml.write_bytes(export_opml(feeds_file))
    return 0


def _replay(settings: Settings, args: argparse.Namespace) -> int:
    try:
        start = since_ms(args.since, time.time())
    except ValueError as exc:
        raise SettingsError([f"--since: {exc}"]) from exc
    offsets = replay(settings, args.stage, start)
    moved = ", ".join(f"partition {p} -> {o}" for p, o in sorted(offsets.items()))
    print(f"replay: {group_of(settings, args.stage)} will resume at {moved}; start the stage")
    return 0


def _explain(settings: Settings, args: argparse.Namespace) -> int:
    """Reads the processed topic from the start for the article and the one it matched."""
    versions: dict[str, list[dict[str, Any]]] = {}
    records = read_topic(
        settings.kafka(),
        topics_of(settings).processed,
        from_beginning=True,
        idle_timeout_s=args.idle_exit_s,
    )
    for record in records:
        message = json.loads(record.value)
        versions.setdefault(message["article_id"], []).append(message)
    if args.article_id not in versions:
        topic = topics_of(settings).processed
        print(f"newsflow: {args.article_id} is not on {topic}", file=sys.stderr)
        return 1
    *earlier, article = versions[args.article_id]
    matched_id = article["dedupe"].get("duplicate_of") or ""
    # An update matches the article's own previous version; anything else, the other article.
    candidates = earlier if matched_id == args.article_id else versions.get(matched_id, [])
    print("\n".join(explain(article, candidates[-1] if candidates else None)))
    return 0


def _stories(settings: Settings, args: argparse.Namespace) -> int:
    stories = gather_stories(settings)
    if args.json:
        for story in shown_stories(stories, args.min_size, args.limit):
            print(json.dumps(story_json(story), ensure_ascii=False))
    else:
        print("\n".join(story_lines(stories, min_size=args.min_size, limit=args.limit)))
    return 0


def _watch(settings: Settings, args: argparse.Namespace) -> int:
    try:
        tag = parse_tag(args.tag) if args.tag else None
    except ValueError as exc:
        raise SettingsError([f"--tag: {exc}"]) from exc
    if args.story is not None and not args.story.strip():
        raise SettingsError(["--story: give a story id (or its first characters)"])
    wanted = WatchFilter(
        language=args.lang,
        relation=args.status,
        outlet=args.source,
        tag=tag,
        story=args.story,
        min_story_size=args.min_story_size,
    )
    try:
        start = since_ms(args.since, time.time()) if args.since else None
    except ValueError as exc:
        raise SettingsError([f"--since: {exc}"]) from exc
    records = read_topic(
        settings.kafka(),
        topics_of(settings).processed,
        from_beginning=args.from_beginning,
        idle_timeout_s=args.idle_exit_s,
        since_ms=start,
    )
    try:
        for record in records:
            message = json.loads(record.value)
            if not wanted.accepts(message):
                continue
            line = json.dumps(message, ensure_ascii=False) if args.json else format_line(message)
            print(line, flush=True)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
