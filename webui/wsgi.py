"""WSGI entry point (gunicorn webui.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webui.settings")
application = get_wsgi_application()

# A page built from the catalog allocates hundreds of thousands of small objects; at
# the default threshold (700) the collector ran dozens of times per such page and was
# a large share of its time. Start-up objects (Django, the URLconf, templates) are
# frozen out of every later collection; cycles are still collected, less often.
gc.set_threshold(50_000, 10, 10)
gc.freeze()
