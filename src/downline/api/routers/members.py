"""``/members``: read the network, enroll (``genealogy.actions.do_enroll``) and move members
(``do_move``, the console's rules and structure events)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from downline.genealogy.actions import do_enroll, do_move
from downline.genealogy.models import Distributor

from .. import audit
from ..auth import actor, need, viewer
from ..errors import ApiProblem
from ..pagination import DEFAULT_LIMIT, MAX_LIMIT, page, selected_fields
from ..schemas import MEMBER_FIELDS, EnrollIn, MemberOut, MemberPage, MoveIn
from .visibility import member_or_404, visible_members

router = Router()


def member_dict(member: Distributor) -> dict:
    """The API shape of a member (sponsor and placement parent by member id)."""
    return {
        "member_id": member.member_id,
        "name": member.name,
        "email": member.email,
        "kind": member.kind,
        "status": member.status,
        "sponsor": member.sponsor.member_id if member.sponsor_id else None,
        "placement_parent": (
            member.placement_parent.member_id if member.placement_parent_id else None
        ),
        "placement_position": member.placement_position,
        "joined_on": member.joined_on,
        "country": member.country,
        "language": member.language,
        "currency": member.currency,
        "enrollment_downline": member.enrollment_downline,
        "placement_downline": member.placement_downline,
    }


def _existing(member_id: str, field: str) -> Distributor:
    member = Distributor.objects.filter(member_id=member_id.strip()).first()
    if member is None:
        message = _("There is no member %(id)s.") % {"id": member_id}
        raise ApiProblem(422, message, errors=[(field, message)])
    return member


@router.get("", response=MemberPage, exclude_unset=True, summary="List members")
def list_members(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    sponsor: str | None = Query(None, description="member id of the sponsor"),
    kind: str | None = Query(None, pattern="^(distributor|customer)$"),
    status: str | None = Query(None, pattern="^(active|suspended|terminated)$"),
    country: str | None = Query(None, max_length=2),
    joined_from: date | None = None,
    joined_to: date | None = None,
    fields: str | None = Query(None, description="comma-separated fields to keep"),
):
    """Members the caller may see (a personal token: themselves and their downline), by id."""
    need(request, "members:read")
    chosen = selected_fields(fields, MEMBER_FIELDS)
    rows = visible_members(viewer(request)).select_related("sponsor", "placement_parent")
    if sponsor:
        rows = rows.filter(sponsor__member_id=sponsor)
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    if country:
        rows = rows.filter(country=country.upper())
    if joined_from:
        rows = rows.filter(joined_on__gte=joined_from)
    if joined_to:
        rows = rows.filter(joined_on__lte=joined_to)
    return page(rows, cursor=cursor, limit=limit, render=member_dict, fields=chosen)


@router.get("/{member_id}", response=MemberOut, summary="Read a member")
def get_member(request: HttpRequest, member_id: str):
    need(request, "members:read")
    member = member_or_404(viewer(request), member_id)
    return member_dict(
        Distributor.objects.select_related("sponsor", "placement_parent").get(pk=member.pk)
    )


@router.post("", response={201: MemberOut}, summary="Enroll a member")
def enroll(request: HttpRequest, payload: EnrollIn):
    """Enroll a distributor or retail customer under ``sponsor``, placed by ``placement_mode``
    or at ``placement_parent``/``position`` (the console's ``do_enroll``)."""
    need(request, "members:write")
    sponsor = _existing(payload.sponsor, "body.sponsor")
    parent = (
        _existing(payload.placement_parent, "body.placement_parent")
        if payload.placement_parent
        else None
    )
    with transaction.atomic():
        member = do_enroll(
            member_id=payload.member_id,
            sponsor=sponsor,
            joined_on=payload.joined_on,
            kind=payload.kind,
            name=payload.name,
            email=payload.email,
            country=payload.country,
            language=payload.language,
            currency=payload.currency,
            placement_mode=payload.placement_mode,
            placement_parent=parent,
            position=payload.position,
            actor=actor(request),
            reason=payload.reason,
        )
        audit.record(request, "members.enroll", member.member_id, 201)
    member = Distributor.objects.select_related("sponsor", "placement_parent").get(pk=member.pk)
    return Status(201, member_dict(member))


@router.post("/{member_id}/move", response=MemberOut, summary="Move a member")
def move(request: HttpRequest, member_id: str, payload: MoveIn):
    """Change sponsor and placement together (``do_move``: the console's rules, one structure
    event for each part, reversible from the console)."""
    need(request, "members:write")
    member = member_or_404(viewer(request), member_id)
    sponsor = _existing(payload.sponsor, "body.sponsor")
    parent = (
        _existing(payload.placement_parent, "body.placement_parent")
        if payload.placement_parent
        else None
    )
    with transaction.atomic():
        do_move(
            member,
            sponsor=sponsor,
            placement_parent=parent,
            position=payload.position,
            placement_mode=payload.placement_mode,
            actor=actor(request),
            reason=payload.reason,
        )
        audit.record(request, "members.move", member.member_id)
    member = Distributor.objects.select_related("sponsor", "placement_parent").get(pk=member.pk)
    return member_dict(member)
