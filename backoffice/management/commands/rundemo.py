"""``manage.py rundemo``: the whole product on one laptop, with no server installed.

Migrates, seeds demo data on first run, then runs the web server, a real Celery worker and Celery beat on
the embedded default (SQLite database, kombu's SQLAlchemy transport on a SQLite file). Ctrl-C stops all
three; if one of them dies, the others are stopped too, so a half-running demo never pretends to work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from backoffice.schedule import sync_schedule


class Command(BaseCommand):
    help = "Run the demo: web server, Celery worker and beat on the embedded default. Ctrl-C stops everything."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port for the web server")
        parser.add_argument("--postings", type=int, default=5000, help="postings to seed on first run")
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args: Any, **options: Any) -> None:
        from jobs.models import Employer

        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("database migrated")
        if not Employer.objects.exists():
            call_command("seed_demo", postings=options["postings"], seed=options["seed"], stdout=self.stdout)
        else:
            call_command("seed_demo", users_only=True, stdout=self.stdout)
        # The report pages read rollups: compute them once now (the first run backfills REPORTS_BACKFILL_DAYS),
        # then the periodic job keeps them current every 15 minutes.
        call_command("rollup", stdout=self.stdout)
        created = sync_schedule()
        if created:
            self.stdout.write(f"periodic jobs added: {', '.join(created)}")

        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", options["addr"], "--noreload"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "backoffice",
                "worker",
                "--loglevel",
                "INFO",
                "--pool",
                "threads",
                "--concurrency",
                "2",
                "--queues",
                ",".join(settings.CELERY_WORKER_QUEUES),
                "--hostname",
                "demo@%h",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "backoffice",
                "beat",
                "--loglevel",
                "INFO",
                "--scheduler",
                "django_celery_beat.schedulers:DatabaseScheduler",
                "--pidfile",
                str(settings.VAR_DIR / "celerybeat.pid"),
            ],
        }
        processes: dict[str, subprocess.Popen[bytes]] = {}
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # `kill` (SIGTERM) stops the demo like Ctrl-C: web, worker and beat are stopped too, not orphaned.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            for name, command in commands.items():
                processes[name] = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)
            url = f"http://{options['addr']}/admin/"
            self._wait_until_up(f"http://{options['addr']}/healthz", processes["web"])
            self.stdout.write(self.style.SUCCESS(f"\nBack-office running at {url}"))
            self.stdout.write(
                f"Celery broker: {settings.CELERY_BROKER_URL}\nPress Ctrl-C to stop web, worker and beat.\n"
            )
            while True:
                for name, process in processes.items():
                    code = process.poll()
                    if code is not None:
                        raise CommandError(f"{name} exited with code {code}; stopping the demo")
                time.sleep(1)
        except KeyboardInterrupt:
            self.stdout.write("\nstopping…")
        finally:
            self._stop(processes)

    def _wait_until_up(self, url: str, web: subprocess.Popen[bytes], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if web.poll() is not None:
                raise CommandError("the web server exited during start-up")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise CommandError(f"the web server did not answer at {url} within {timeout:.0f} s")

    def _stop(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
