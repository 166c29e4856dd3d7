"""Manage bearer tokens for the embedded JFrog ML registry API."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.auth import rights_summary, token_cache_seconds, token_create, token_hash
from registry.models import ApiToken


class Command(BaseCommand):
    help = (
        "Manage registry API tokens. "
        "`create USERNAME` creates the user if needed and prints a new token alone on the last line "
        "(only its sha256 is stored; it cannot be shown again). The token carries the user's Pond "
        "role: a viewer's only reads, an engineer's writes, a user without a role gets 403; a user "
        "created here is a program's account and gets the registry's own right (registry.access_api: "
        "reads and writes). Only Pond's review flow moves versions to staging or production. "
        "`revoke PREFIX` revokes the token whose first characters (as shown by `list`) are PREFIX; "
        "`revoke --user USERNAME` revokes every token of that user. "
        "`list` shows each token's prefix, user and creation time. "
        "Running servers remember a checked token for REGISTRY_TOKEN_CACHE_SECONDS (10 s by "
        "default): a revoked token may still work there for that long."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token for USERNAME (the user is created if needed).")
        create.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix, or all of a user's tokens with --user.")
        revoke.add_argument("prefix", nargs="?", help="The token's prefix as shown by `list` (8-12 characters), or the whole token.")
        revoke.add_argument("--user", dest="user", help="Revoke every token of this user.")
        sub.add_parser("list", help="List tokens (prefix, user, created).")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "create":
            row, token = token_create(username=options["username"])
            self.stdout.write(f"Created a registry token for {row.user.get_username()} (prefix {row.prefix}).")
            self.stdout.write(rights_summary(row.user))
            self.stdout.write("It is shown once:")
            self.stdout.write(token)
        elif action == "revoke":
            self._revoke(options.get("prefix"), options.get("user"))
        else:
            for row in ApiToken.objects.select_related("user").order_by("created_at", "id"):
                self.stdout.write(f"{row.prefix}\t{row.user.get_username()}\t{row.created_at.isoformat()}")

    def _revoke(self, prefix: str | None, username: str | None) -> None:
        if bool(prefix) == bool(username):
            raise CommandError("Give either a token PREFIX or --user USERNAME.")
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user named {username!r}.")
            count, _ = ApiToken.objects.filter(user=user).delete()
            self.stdout.write(f"Revoked {count} token(s) of {username}.{self._delay()}")
            return
        if len(prefix) < 8:
            raise CommandError("The prefix must have at least 8 characters.")
        if len(prefix) > 12:
            # Longer than a stored prefix: the whole token, found by its hash.
            matches = list(ApiToken.objects.filter(key_hash=token_hash(prefix)))
        else:
            matches = list(ApiToken.objects.filter(prefix__startswith=prefix))
        if not matches:
            raise CommandError(f"No token with prefix {prefix!r}.")
        if len(matches) > 1:
            raise CommandError(f"{len(matches)} tokens start with {prefix!r}; give more characters.")
        matches[0].delete()
        self.stdout.write(f"Revoked token {matches[0].prefix}.{self._delay()}")

    @staticmethod
    def _delay() -> str:
        seconds = token_cache_seconds()
        if seconds <= 0:
            return ""
        return f" Running servers that used it in the last {seconds:g} s may accept it until then."
