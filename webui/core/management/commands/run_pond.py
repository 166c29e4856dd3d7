"""Serve Pond for `make run`: web server, Celery worker and beat, stopped together.

The web server is gunicorn with threaded workers, so a page's call to the
embedded registry at /ml/api/ is answered by another thread. Ctrl-C (or SIGTERM)
stops every process this command started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

DEMO_LOGINS = ("admin", "engineer", "reviewer", "viewer")


class Command(BaseCommand):
    help = "Run Pond's web server, Celery worker and beat until interrupted."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--no-celery", action="store_true", help="serve pages only")

    def handle(self, *args, **options) -> None:
        host, port = options["host"], options["port"]
        env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
        python = sys.executable
        commands = {
            "web": [
                python, "-m", "gunicorn", "webui.wsgi:application",
                "--bind", f"{host}:{port}",
                "--workers", str(options["web_workers"]),
                "--worker-class", "gthread", "--threads", "8",
                "--timeout", "60", "--graceful-timeout", "5",
                "--access-logfile", "-",
                # Share-link tokens stay out of the access and error logs.
                "--logger-class", "webui.core.gunicorn_logging.RedactingLogger",
                # child_exit: a dead worker's figures are marked for /metrics.
                "--config", "python:webui.metrics.gunicorn_hooks",
            ],
        }
        if not options["no_celery"]:
            commands["worker"] = [
                python, "-m", "celery", "-A", "webui", "worker", "--beat",
                "--loglevel", "INFO", "--concurrency", "2",
                "--queues", settings.CELERY_TASK_DEFAULT_QUEUE,
                "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ]
        procs: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for name, cmd in commands.items():
                # Own process group: Ctrl-C reaches us once; we stop the children ourselves.
                procs[name] = subprocess.Popen(cmd, env=env, start_new_session=True)
            self._banner(host, port)
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with code {proc.returncode}; stopping Pond.")
                        stopping = True
                time.sleep(0.5)
        finally:
            self._stop_all(procs)

    def _banner(self, host: str, port: int) -> None:
        url = f"http://{host}:{port}/"
        lines = [
            "",
            f"Pond is running at {url}",
            f"  status page:   {url}status/",
            f"  JFrog ML API:  {url}ml/api/v1/models   (docs: {url}ml/api/docs/)" if settings.POND_EMBEDDED_REGISTRY else f"  upstream:      {settings.JFROG_ML_URL}",
            "  demo logins:   " + ", ".join(DEMO_LOGINS) + "  (password: pond-demo)",
            "  API token:     python manage.py registry_token create engineer",
            "Press Ctrl-C to stop.",
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    def _stop_all(self, procs: dict[str, subprocess.Popen]) -> None:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.stdout.write("Pond stopped.")
