"""``manage.py seed_demo``: fill a fresh database with realistic demo data and demo staff logins.

Jobs rows come from ``jobs.demo`` (bulk inserts, deterministic per seed); one audit row records the seed.
User reports and a history of decisions come from ``moderation.demo`` through the real services.
The staff users have a published password: this is for laptops and demo servers, never for production.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from tqdm import tqdm

from backoffice import roles
from backoffice.audit import Actor, audit_record
from jobs.demo import DemoCounts, DemoDataExistsError, delete_jobs_demo, generate_jobs_demo
from moderation.demo import delete_moderation_demo, generate_moderation_demo

DEMO_PASSWORD = "demo-pass-2026"
SUPERUSER = "admin"
# username -> role group (the groups are created by backoffice's 0003 migration).
ROLE_USERS: dict[str, str] = {
    "moderator": roles.MODERATOR,
    "senior": roles.SENIOR_MODERATOR,
    "opsadmin": roles.OPS_ADMIN,
    "analyst": roles.ANALYST,
}


def ensure_demo_users() -> list[tuple[str, str]]:
    """Create or update the demo logins; returns (username, role) rows. Idempotent: an existing user gets the
    demo password, staff flag and exactly its role group again."""
    User = get_user_model()
    # One hash for all five: PBKDF2 at full strength costs about a second per hash on a small machine, and
    # the password is published anyway.
    password_hash = make_password(DEMO_PASSWORD)
    missing = sorted(set(ROLE_USERS.values()) - set(Group.objects.values_list("name", flat=True)))
    if missing:
        raise CommandError(f"Role groups missing ({', '.join(missing)}): run `manage.py migrate` first.")

    admin, _ = User.objects.get_or_create(username=SUPERUSER, defaults={"email": "admin@example.com"})
    admin.password = password_hash
    admin.is_staff = admin.is_superuser = admin.is_active = True
    admin.save()
    logins = [(SUPERUSER, "superuser")]
    for username, role in ROLE_USERS.items():
        user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
        user.password = password_hash
        user.is_staff = user.is_active = True
        # A demo role user must show exactly its role's permissions, not a superuser's.
        user.is_superuser = False
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        logins.append((username, role))
    return logins


class Command(BaseCommand):
    help = "Seed realistic demo jobs data (deterministic per --seed) and demo staff logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--postings", type=int, default=5000, help="number of job postings (default 5000)")
        parser.add_argument("--seed", type=int, default=42, help="random seed; same seed, same day → same rows")
        parser.add_argument("--reset", action="store_true", help="delete existing demo jobs rows first")
        parser.add_argument("--no-users", action="store_true", help="do not create or update the demo logins")
        parser.add_argument("--users-only", action="store_true", help="only create or update the demo logins")
        parser.add_argument(
            "--reports", type=int, default=None, help="user reports to file for the review queue (default postings/15)"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="run without DEBUG: creates a superuser with a published password, so never on production",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        postings: int = options["postings"]
        seed: int = options["seed"]
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates logins with a published password; it runs only with DEBUG=1 "
                "(or --force on a throwaway database)."
            )
        if options["users_only"]:
            self._print_logins(ensure_demo_users())
            return
        if postings < 1:
            raise CommandError("--postings must be at least 1.")

        started = time.perf_counter()
        show_progress = options["verbosity"] >= 1
        # One transaction: a failed seed leaves nothing half-written, and SQLite writes far faster in one.
        with transaction.atomic():
            deleted: dict[str, int] = {}
            if options["reset"]:
                try:
                    # Moderation rows point at the demo postings and accounts (PROTECT): they go first.
                    deleted = {**delete_moderation_demo(), **delete_jobs_demo()}
                except ProtectedError as exc:
                    raise CommandError(
                        f"Cannot reset: other rows (e.g. moderation cases) still refer to demo rows: {exc.args[0]}"
                    ) from exc
            # The rows are generated first (no total yet), then written: the bar counts postings + applications.
            with tqdm(total=0, unit=" rows", desc="generating", disable=not show_progress, leave=False) as bar:

                def set_total(total: int) -> None:
                    bar.total = total
                    bar.set_description("writing")

                try:
                    counts = generate_jobs_demo(
                        postings=postings, seed=seed, now=timezone.now(), progress=bar.update, on_total=set_total
                    )
                except DemoDataExistsError as exc:
                    raise CommandError(f"{exc} Run with --reset to replace it.") from exc
            metadata: dict[str, Any] = {**counts.as_dict(), "seed": seed}
            if options["reset"]:
                metadata["deleted"] = deleted
            audit_record(actor=Actor.system("seed_demo"), action="demo.seeded", metadata=metadata)
        elapsed = time.perf_counter() - started

        if deleted:
            self.stdout.write("Deleted demo rows: " + ", ".join(f"{name} {n:,}" for name, n in deleted.items()))
        self._print_counts(counts, seed, elapsed)
        if not options["no_users"]:
            logins = ensure_demo_users()
            reports = options["reports"] if options["reports"] is not None else max(20, postings // 15)
            moderation_started = time.perf_counter()
            with transaction.atomic():
                moderation = generate_moderation_demo(
                    seed=seed, moderator=get_user_model().objects.get(username="senior"), reports=reports
                )
            self.stdout.write(
                f"  {'user reports':<24} {moderation.reports:>10,}\n"
                f"  {'cases decided':<24} {moderation.decided_cases:>10,}\n"
                f"  {'cases in the queue':<24} {moderation.open_cases:>10,}"
                f"  ({time.perf_counter() - moderation_started:.1f} s, through the moderation services)"
            )
            self._print_logins(logins)

    def _print_counts(self, counts: DemoCounts, seed: int, elapsed: float) -> None:
        self.stdout.write(self.style.SUCCESS(f"Demo data seeded (seed {seed}) in {elapsed:.1f} s"))
        for name, value in counts.as_dict().items():
            self.stdout.write(f"  {name.replace('_', ' '):<24} {value:>10,}")

    def _print_logins(self, logins: list[tuple[str, str]]) -> None:
        self.stdout.write("\nDemo logins (demo only: the password is public):")
        self.stdout.write(f"  {'username':<12} {'password':<16} role")
        for username, role in logins:
            self.stdout.write(f"  {username:<12} {DEMO_PASSWORD:<16} {role}")
