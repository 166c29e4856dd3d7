"""`manage.py poller_health`: compose's beat healthcheck."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from webui.status.models import PollerHealth

pytestmark = pytest.mark.django_db


def test_it_fails_before_the_first_cycle():
    with pytest.raises(CommandError, match="not started a cycle"):
        call_command("poller_health")


def test_it_passes_while_cycles_keep_starting_and_fails_once_they_stop(settings):
    settings.POND_POLL_INTERVAL = 5
    PollerHealth.objects.create(pk=1, last_started_at=timezone.now() - timedelta(seconds=10))
    out = StringIO()
    call_command("poller_health", stdout=out)
    assert out.getvalue().startswith("ok")
    PollerHealth.objects.filter(pk=1).update(last_started_at=timezone.now() - timedelta(seconds=61))
    with pytest.raises(CommandError, match="61 s ago"):
        call_command("poller_health")
    call_command("poller_health", "--max-age", "120", stdout=out)
