"""Pond's Celery app: settings under the CELERY_ namespace of webui.settings."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webui.settings")

app = Celery("pond")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
