"""``manage.py relay_outbox``: publish the outbox to the ``backoffice.events`` stream. Logic: relay.py."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backoffice.events import streams
from backoffice.events.relay import OutboxRelay, run_forever


class Command(BaseCommand):
    help = (
        "Publish committed outbox rows to the backoffice.events stream in order, then mark them. Runs until "
        "SIGTERM/SIGINT, or with --once publishes what is due and exits. Only one relay publishes at a time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="publish what is due now, then exit")
        parser.add_argument("--batch", type=int, default=500, help="rows per XADD pipeline (default 500)")
        parser.add_argument("--interval-ms", type=int, default=500, help="wait when idle, in ms (default 500)")
        parser.add_argument("--stream", default=None, help="default settings.OUTBOX_STREAM")
        parser.add_argument("--redis-url", default=None, help="default settings.REDIS_URL")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be positive")
        try:
            client = streams.redis_client(options["redis_url"])
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        relay = OutboxRelay(client, stream=options["stream"], batch=options["batch"])
        try:
            if options["once"]:
                total = 0
                while True:
                    published = relay.run_once()
                    if published is None:
                        self.stdout.write("another relay is running; nothing done")
                        return
                    total += published
                    if published == 0:
                        break
                self.stdout.write(f"published {total}")
                return
            stop = threading.Event()
            previous = {
                sig: signal.signal(sig, lambda signum, frame: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
            }
            try:
                total = run_forever(relay, stop=stop, interval_s=options["interval_ms"] / 1000)
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
            self.stdout.write(f"published {total}")
        finally:
            client.close()
