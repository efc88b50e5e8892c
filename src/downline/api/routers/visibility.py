"""What a personal token may see: the rules of the back office (``web.access``/``selectors``).

A distributor sees themselves and every member below them in the enrollment or the placement
tree; any other member is "not found" (404, like the back office: a guessed id tells nothing).
Orders: their own and their retail customers' (what the back office's customer pages list).
Money (statements, wallets, payouts): their own only. An integration key sees every row.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.translation import gettext as _

from downline.genealogy.access import visible_member
from downline.genealogy.models import Distributor
from downline.genealogy.tree_sql import ENROLLMENT, PLACEMENT, downline_cte

MAX_DEPTH = 100_000


def _downline_ids(viewer: Distributor, tree: str) -> RawSQL:
    sql = f"WITH RECURSIVE {downline_cte(tree)} SELECT id FROM downline"
    return RawSQL(sql, [viewer.pk, MAX_DEPTH])


def visible_members(viewer: Distributor | None) -> QuerySet[Distributor]:
    """Every member the caller may read: all for an integration key."""
    rows = Distributor.objects.all()
    if viewer is None:
        return rows
    return rows.filter(
        Q(pk=viewer.pk)
        | Q(pk__in=_downline_ids(viewer, ENROLLMENT))
        | Q(pk__in=_downline_ids(viewer, PLACEMENT))
    )


def not_found(what: str) -> Http404:
    return Http404(
        _("There is no %(what)s here, or it is not visible to this token.") % {"what": what}
    )


def member_or_404(viewer: Distributor | None, member_id: str) -> Distributor:
    """The member ``member_id`` when the caller may read them; 404 otherwise."""
    if viewer is None:
        member = Distributor.objects.filter(member_id=member_id).first()
    else:
        member = visible_member(viewer, member_id)
    if member is None:
        raise not_found(_("member %(id)s") % {"id": member_id})
    return member


def own_or_404(viewer: Distributor | None, member_id: str) -> Distributor:
    """For money: a personal token reads only its own member's; an integration key any."""
    if viewer is not None and viewer.member_id != member_id:
        raise not_found(_("member %(id)s") % {"id": member_id})
    return member_or_404(viewer, member_id)
