"""Exit 0 while the poller is cycling, 1 when it has stalled: compose's beat healthcheck.

The poll cycle starts when beat's tick reaches a worker, so a recent start proves
both are alive (an upstream outage still starts cycles: it is not the poller's
ill health). A database that does not answer is unhealthy too.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from webui.status.models import PollerHealth


class Command(BaseCommand):
    help = "Check that the status poller started a cycle recently (exit 1 if not)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--max-age",
            type=float,
            default=None,
            help="seconds since the last cycle started (default: 3 poll intervals, at least 60)",
        )

    def handle(self, *args, **options) -> None:
        max_age = options["max_age"] or max(3 * settings.POND_POLL_INTERVAL, 60.0)
        try:
            health = PollerHealth.objects.filter(pk=1).first()
        except DatabaseError as exc:
            raise CommandError(f"database not answering ({exc.__class__.__name__})") from None
        started = health.last_started_at if health else None
        if started is None:
            raise CommandError("the poller has not started a cycle yet")
        age = (timezone.now() - started).total_seconds()
        if age > max_age:
            raise CommandError(f"the poller's last cycle started {age:.0f} s ago (limit {max_age:.0f} s)")
        self.stdout.write(f"ok: last cycle started {age:.1f} s ago")
