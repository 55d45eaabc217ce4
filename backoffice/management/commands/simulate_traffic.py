"""``manage.py simulate_traffic --rate R --duration S [--transport redis|http]``: marketplace load.

Sends a realistic mix of EVENTS.md events (see ``backoffice.events.simulator``: new postings, applications
and status changes, registrations, reports, plus ~2 % duplicates, ~2 % out-of-order pairs and ~1 % invalid
input) at a steady rate, and prints what was sent and, over HTTP, what the endpoint answered.

    manage.py simulate_traffic --rate 200 --duration 60                       # Redis stream (REDIS_URL)
    manage.py simulate_traffic --transport http --token bo_... --rate 50 --duration 30

Exit code 2 when the transport cannot be used (no token, no Redis, a token refused).
"""

from __future__ import annotations

import os
import random
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backoffice.events.simulator import (
    DUPLICATE_SHARE,
    INVALID_SHARE,
    OUT_OF_ORDER_SHARE,
    HttpSender,
    RedisSender,
    SenderAuthError,
    SenderError,
    TrafficGenerator,
    run_traffic,
)

EXIT_UNUSABLE = 2
DEFAULT_URL = "http://127.0.0.1:8000/events/"
TOKEN_HELP = """\
The HTTP transport needs an API token with the events:write scope.
Create one in the admin: Admin › API tokens › Add API token, tick "events:write", save, and copy the token
shown once at the top of the page. Then pass it with --token bo_… or export BACKOFFICE_EVENTS_TOKEN=bo_…"""


class Command(BaseCommand):
    help = "Send a realistic, reproducible mix of marketplace events at a given rate (Redis stream or HTTP)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rate", type=float, default=50.0, help="events per second (default 50)")
        parser.add_argument("--duration", type=float, default=10.0, help="seconds to run (default 10)")
        parser.add_argument(
            "--transport",
            choices=("redis", "http"),
            default=None,
            help="redis (XADD to EVENTS_STREAM) or http (POST /events/); default: redis when REDIS_URL is set",
        )
        parser.add_argument("--seed", type=int, default=None, help="reproducible run (default: random, printed)")
        parser.add_argument("--url", default=DEFAULT_URL, help=f"HTTP endpoint (default {DEFAULT_URL})")
        parser.add_argument("--token", default=None, help="API token (default: $BACKOFFICE_EVENTS_TOKEN)")
        parser.add_argument("--redis-url", default=None, help="default: REDIS_URL")
        parser.add_argument("--stream", default=None, help="default: EVENTS_STREAM")
        parser.add_argument("--ticks-per-second", type=int, default=10)
        parser.add_argument("--duplicate-share", type=float, default=DUPLICATE_SHARE)
        parser.add_argument("--out-of-order-share", type=float, default=OUT_OF_ORDER_SHARE)
        parser.add_argument("--invalid-share", type=float, default=INVALID_SHARE)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rate"] <= 0 or options["duration"] <= 0:
            raise CommandError("--rate and --duration must be positive")
        redis_url = options["redis_url"] or settings.REDIS_URL
        transport = options["transport"] or ("redis" if redis_url else "http")
        seed = options["seed"] if options["seed"] is not None else random.SystemRandom().randrange(1, 10**6)
        try:
            generator = TrafficGenerator(
                seed=seed,
                duplicate_share=options["duplicate_share"],
                out_of_order_share=options["out_of_order_share"],
                invalid_share=options["invalid_share"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None

        client = None
        if transport == "http":
            token = options["token"] or os.environ.get("BACKOFFICE_EVENTS_TOKEN", "")
            if not token:
                self.stderr.write(TOKEN_HELP)
                sys.exit(EXIT_UNUSABLE)
            try:
                sender: Any = HttpSender(options["url"], token)
            except SenderAuthError as exc:
                self.stderr.write(f"{exc}\n{TOKEN_HELP}")
                sys.exit(EXIT_UNUSABLE)
            target = options["url"]
        else:
            if not redis_url:
                self.stderr.write("The redis transport needs REDIS_URL (or --redis-url); or use --transport http.")
                sys.exit(EXIT_UNUSABLE)
            import redis

            client = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
            try:
                client.ping()
            except (redis.RedisError, OSError) as exc:
                self.stderr.write(f"Redis is unreachable: {exc}")
                sys.exit(EXIT_UNUSABLE)
            stream = options["stream"] or settings.EVENTS_STREAM
            sender = RedisSender(client, stream)
            target = f"stream {stream}"

        self.stdout.write(
            f"simulating {options['rate']:g} events/s for {options['duration']:g} s over {transport} "
            f"to {target} (seed {seed}; ids sim{seed}-…); Ctrl-C stops early"
        )
        try:
            summary = run_traffic(
                generator,
                sender,
                rate=options["rate"],
                duration=options["duration"],
                ticks_per_second=options["ticks_per_second"],
            )
        except SenderAuthError as exc:
            self.stderr.write(f"The endpoint refused the token: {exc}\n{TOKEN_HELP}")
            sys.exit(EXIT_UNUSABLE)
        except SenderError as exc:
            self.stderr.write(f"Stopped: {exc}")
            sys.exit(EXIT_UNUSABLE)
        finally:
            if client is not None:
                client.close()
        for line in summary.lines():
            self.stdout.write(line)
