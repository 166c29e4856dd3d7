"""Seed Pond's demo: registry data, demo users, and deployment status history.

Idempotent: running it twice creates nothing new. The registry data goes into the
embedded registry (registry's own seeding command); with a remote JFrog ML only
the users are created.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_PASSWORD = "pond-demo"  # noqa: S105 - documented demo credential, never used in production
DEMO_USERS = ("admin", "engineer", "reviewer", "viewer")


class Command(BaseCommand):
    help = "Create demo data in the embedded registry, the demo users and status history."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--models", type=int, default=None)
        parser.add_argument("--versions-per-model", type=str, default=None)
        parser.add_argument("--experiments", type=int, default=None)
        parser.add_argument("--deployments", type=int, default=None)
        parser.add_argument("--no-users", action="store_true", help="do not create the demo users")
        parser.add_argument("--no-history", action="store_true", help="do not create status history")

    def handle(self, *args, **options) -> None:
        if settings.POND_EMBEDDED_REGISTRY:
            sizes = {
                key: options[key]
                for key in ("models", "versions_per_model", "experiments", "deployments")
                if options[key] is not None
            }
            call_command("seed_registry", **sizes, stdout=self.stdout, stderr=self.stderr)
        else:
            self.stdout.write("JFROG_ML_URL points at a remote JFrog ML: registry data not seeded.")
        if not options["no_users"]:
            self._seed_users()
        if not options["no_history"] and settings.POND_EMBEDDED_REGISTRY:
            self._seed_history()

    @transaction.atomic
    def _seed_users(self) -> None:
        from webui.core.roles import ensure_roles

        ensure_roles()  # the groups and their rights, whatever state the database is in
        User = get_user_model()
        for name in DEMO_USERS:
            group, _ = Group.objects.get_or_create(name=name)
            user, created = User.objects.get_or_create(username=name, defaults={"email": f"{name}@pond.example"})
            if created:
                user.set_password(DEMO_PASSWORD)
                if name == "admin":
                    user.is_staff = user.is_superuser = True
                user.save()
            user.groups.add(group)
        self.stdout.write(f"Demo users: {', '.join(DEMO_USERS)} (password: {DEMO_PASSWORD})")

    def _seed_history(self) -> None:
        # The server is not running while we seed, so read the embedded registry's
        # deployments from its tables rather than over HTTP (embedded mode only).
        from registry.models import Deployment
        from webui.status.demo import seed_history

        deployments = [
            {
                "id": row["id"],
                "name": row["name"],
                "status": row["status"],
                "model_id": row["model_id"],
                "model_version_id": row["model_version_id"],
            }
            for row in Deployment.objects.values("id", "name", "status", "model_id", "model_version_id")
        ]
        seeded = seed_history(deployments=deployments)
        self.stdout.write(f"Status history: {seeded} deployments given 90 days of history.")
