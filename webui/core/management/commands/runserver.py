"""`manage.py runserver [addr:]port`, the first thing a Django developer types: Pond's
pages call the embedded registry on the address and port this server listens on, not
on $PORT (which `make run` and the container set), so any port works as it is.

JFROG_ML_URL or POND_SELF_URL, when set, win: they say where the upstream is.
"""

from __future__ import annotations

from django.conf import settings
from whitenoise.runserver_nostatic.management.commands.runserver import Command as RunserverCommand

# Addresses that mean "every interface" (runserver binds them; Pond calls loopback instead).
_ANY_ADDRESS = {"", "0", "0.0.0.0", "::"}  # noqa: S104 - compared with, never bound


class Command(RunserverCommand):
    def inner_run(self, *args, **options):
        # Runs in the serving process (under the autoreloader too), after the address
        # and port were parsed.
        if settings.POND_EMBEDDED_REGISTRY and not (settings.JFROG_ML_URL_CONFIGURED or settings.POND_SELF_URL):
            host = "127.0.0.1" if self.addr in _ANY_ADDRESS else self.addr
            if self.addr == "::":
                host = "::1"
            hostname = f"[{host}]" if ":" in host else host
            settings.JFROG_ML_URL = f"http://{hostname}:{self.port}/ml/api"
            if "*" not in settings.ALLOWED_HOSTS and hostname not in settings.ALLOWED_HOSTS:
                settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, hostname]
        super().inner_run(*args, **options)
