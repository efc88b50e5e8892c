"""Writes of logins: every user is created here, validated and in one transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from downline.core.errors import DownlineError

from .models import User


class AccountError(DownlineError):
    """A login that cannot be created as asked."""


def do_create_user(
    username: str,
    *,
    password: str,
    email: str = "",
    language: str = "en",
    first_name: str = "",
    last_name: str = "",
    staff: bool = False,
    superuser: bool = False,
) -> User:
    """Create a login. ``superuser`` implies ``staff``; the language must be one that ships."""
    languages = [code for code, _name in settings.LANGUAGES]
    if language not in languages:
        raise AccountError(
            _("Language %(language)r is not one of %(languages)s.")
            % {"language": language, "languages": ", ".join(languages)},
            field="language",
        )
    if not username:
        raise AccountError(_("A login needs a username."), field="username")
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise AccountError(
                _("The username %(username)s is already taken.") % {"username": username},
                field="username",
            )
        return User.objects.create_user(
            username,
            email,
            password,
            language=language,
            first_name=first_name,
            last_name=last_name,
            is_staff=staff or superuser,
            is_superuser=superuser,
        )
