"""``downline manage api_key create|revoke|list``: integration keys from the command line.

``create --name NAME --scope members:read --scope orders:write [--expires 2027-01-01T00:00Z]
[--by USERNAME]`` prints the token once; ``revoke PREFIX`` revokes the key with that prefix.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from downline.api.actions import ApiKeyError, do_create_api_key, do_revoke_api_key
from downline.api.models import ApiKey
from downline.api.scopes import SCOPES


class Command(BaseCommand):
    help = "Make, revoke or list API keys of integrations."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a key and print its token once")
        create.add_argument("--name", required=True)
        create.add_argument("--scope", action="append", default=[], choices=sorted(SCOPES))
        create.add_argument("--expires", help="ISO instant with offset, e.g. 2027-01-01T00:00Z")
        create.add_argument("--by", help="username recorded as the key's maker (staff)")
        revoke = sub.add_parser("revoke", help="revoke the key with this prefix")
        revoke.add_argument("prefix")
        sub.add_parser("list", help="list keys (prefix, name, scopes, state)")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "revoke":
            self._revoke(options["prefix"])
        else:
            for key in ApiKey.objects.order_by("id"):
                state = "revoked" if key.revoked_at else ("active" if key.usable() else "expired")
                self.stdout.write(f"{key.prefix}\t{key.name}\t{','.join(key.scopes)}\t{state}")

    def _create(self, options: dict) -> None:
        expires = None
        if options["expires"]:
            try:
                expires = datetime.fromisoformat(options["expires"])
            except ValueError as error:
                raise CommandError(f"--expires: {error}") from error
            if expires.utcoffset() is None:
                raise CommandError("--expires: give an offset, e.g. 2027-01-01T00:00+00:00")
        user = None
        if options["by"]:
            user = get_user_model().objects.filter(username=options["by"], is_staff=True).first()
            if user is None:
                raise CommandError(f"--by: no staff login {options['by']!r}")
        try:
            issued = do_create_api_key(
                name=options["name"], scopes=options["scope"], expires_at=expires, created_by=user
            )
        except ApiKeyError as error:
            raise CommandError(f"{error.field or 'key'}: {error}") from error
        self.stdout.write(issued.token)

    def _revoke(self, prefix: str) -> None:
        key = ApiKey.objects.filter(prefix=prefix).first()
        if key is None:
            raise CommandError(f"no key with prefix {prefix!r}")
        do_revoke_api_key(key)
        self.stdout.write(f"revoked {key.prefix} {key.name}")
