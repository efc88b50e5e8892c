"""Logins are created through ``do_create_user``, with clear refusals."""

import re

import pytest

from downline.accounts.actions import AccountError, do_create_user
from downline.accounts.models import User

pytestmark = pytest.mark.django_db


def test_a_login_is_created_with_its_language_and_a_usable_password():
    user = do_create_user("olga", password="s3cret-pass", language="ru", first_name="Olga")
    assert user.language == "ru"
    assert user.check_password("s3cret-pass")
    assert not user.is_staff


def test_a_superuser_is_staff_too():
    user = do_create_user("boss", password="x", superuser=True)
    assert user.is_staff
    assert user.is_superuser


def test_an_unknown_language_and_a_taken_username_are_refused_and_nothing_is_written():
    with pytest.raises(
        AccountError, match=re.escape("Language 'fr' is not one of en, ru, pl, de.")
    ):
        do_create_user("pierre", password="x", language="fr")
    do_create_user("emma", password="x")
    with pytest.raises(AccountError, match=re.escape("The username emma is already taken.")):
        do_create_user("emma", password="y")
    assert list(User.objects.values_list("username", flat=True)) == ["emma"]
