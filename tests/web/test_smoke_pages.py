"""Every back-office page answers a signed-in distributor, and the anonymous are sent to sign in."""

import pytest
from django.urls import reverse

PAGES = [
    ("web:dashboard", {}),
    ("web:team", {}),
    ("web:team_levels", {}),
    ("web:team_search", {}),
    ("web:customers", {}),
    ("web:profile", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_pages_answer_a_signed_in_distributor(alice_client, name, kwargs):
    response = alice_client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))
