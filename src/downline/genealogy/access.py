"""Who is a back-office member, and whom a member may see.

* ``distributor_of(user)``: the network member linked to a login, or ``None``.
* ``in_downline(viewer, member)`` / ``visible_member(viewer, member_id)``: a member sees themselves
  and their downline (sponsor or placement tree), nobody else. Callers answer 404 for anyone
  outside, the same as for ids that do not exist, so a guessed id tells nothing.
* ``member_required``: a view decorator for a signed-in login linked to a distributor (not a
  retail customer); the member is passed to the view and set on ``request.member``. Anyone else
  signed in gets 404.

The tools apps (academy, contacts, outreach, growth, contests, support) sit below the web app
and use these guards from here.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from .models import Distributor
from .tree_sql import TREES, is_in_subtree


def distributor_of(user) -> Distributor | None:
    """The network member linked to a login, or ``None`` (staff without a membership)."""
    if not user.is_authenticated:
        return None
    return Distributor.objects.filter(user_id=user.pk).first()


def in_downline(viewer: Distributor, member: Distributor, tree: str | None = None) -> bool:
    """``member`` is ``viewer`` or below them in ``tree`` (or, with no tree, in either)."""
    if member.pk == viewer.pk:
        return True
    trees = TREES if tree is None else (tree,)
    return any(is_in_subtree(name, member.pk, viewer.pk) for name in trees)


def visible_member(
    viewer: Distributor, member_id: str, tree: str | None = None
) -> Distributor | None:
    """The member ``member_id`` if ``viewer`` may see them (themselves or their downline in
    ``tree``, or in either tree), else ``None``."""
    member = Distributor.objects.filter(member_id=member_id).first()
    if member is None or not in_downline(viewer, member, tree):
        return None
    return member


def member_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        member = distributor_of(request.user)
        if member is None or member.is_customer:
            raise Http404
        request.member = member  # the menu reads it (web.context_processors.back_office)
        return view(request, member, *args, **kwargs)

    return wrapped
