"""``manage.py consume_events``: the Redis Streams consumer (production transport). Logic: consumer.py."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from backoffice.events import streams
from backoffice.events.consumer import StreamConsumer, default_consumer_name


class Command(BaseCommand):
    help = (
        "Consume marketplace events from the Redis stream (consumer group). SIGTERM/SIGINT finish the current "
        "batch (commit, then ack) and exit 0. Run several with distinct --consumer names to scale out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--consumer", default=None, help="consumer name (default: hostname-pid)")
        parser.add_argument("--batch", type=int, default=500, help="entries per XREADGROUP (default 500)")
        parser.add_argument("--block-ms", type=int, default=1000, help="XREADGROUP BLOCK in ms (default 1000)")
        parser.add_argument("--stream", default=None, help=f"stream (default {settings.EVENTS_STREAM})")
        parser.add_argument("--group", default=None, help=f"consumer group (default {settings.EVENTS_GROUP})")
        parser.add_argument(
            "--dead-stream", default=None, help=f"dead-letter stream (default {settings.EVENTS_DEAD_STREAM})"
        )
        parser.add_argument(
            "--claim-idle-ms",
            type=int,
            default=30_000,
            help="XAUTOCLAIM entries another consumer left pending this long (default 30000; 0 disables)",
        )
        parser.add_argument(
            "--expire-interval",
            type=float,
            default=30.0,
            help="seconds between retries/expiry of parked events (default 30; 0 disables)",
        )
        parser.add_argument(
            "--max-batches",
            type=int,
            default=None,
            help="stop after N fetches (reads or claims, empty ones included); for tests",
        )
        parser.add_argument("--redis-url", default=None, help="default: settings.REDIS_URL")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1 or options["block_ms"] < 0 or options["claim_idle_ms"] < 0:
            raise CommandError("--batch must be positive, --block-ms and --claim-idle-ms not negative")
        try:
            client = streams.redis_client(options["redis_url"], block_ms=options["block_ms"])
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        stop = threading.Event()

        def request_stop(signum: int, frame: object) -> None:
            # Finish the batch in hand (commit + ack), then leave the loop.
            stop.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        consumer = StreamConsumer(
            client,
            stream=options["stream"],
            group=options["group"],
            consumer=options["consumer"] or default_consumer_name(),
            dead_stream=options["dead_stream"],
            batch=options["batch"],
            block_ms=options["block_ms"],
            claim_idle_ms=options["claim_idle_ms"],
            expire_interval_s=options["expire_interval"],
            max_batches=options["max_batches"],
            stop=stop,
        )
        try:
            consumer.run()
        finally:
            client.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
