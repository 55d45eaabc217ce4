from django.core.management.base import BaseCommand

from backoffice.schedule import sync_schedule


class Command(BaseCommand):
    help = "Add the default periodic jobs (backoffice/schedule.py) to django-celery-beat; admin edits are kept."

    def handle(self, *args: object, **options: object) -> None:
        created = sync_schedule()
        self.stdout.write(f"periodic jobs created: {', '.join(created) if created else 'none (all present)'}")
