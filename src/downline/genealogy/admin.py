"""The network in the admin: READ-ONLY. Look members and their structure history up here;
change them in the console (``/console/distributors/<member id>/``), where every change runs
through ``actions`` with a reason and is recorded.

Distributors: searchable, filterable list and a read-only page with a link to the member in the
console. Structure events: read-only history (reversed from the console's member page).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from downline.core.admin_views import ReadOnlyAdmin

from .models import Distributor, StructureEvent
from .shape import placement_shape


def console_link(member: Distributor | None) -> str:
    """A link to ``member``'s page in the console, where their network and status change."""
    if member is None or member.pk is None:
        return "—"
    url = reverse("web:console_distributor", args=[member.member_id])
    return format_html('<a href="{}">{}</a>', url, gettext("Change this in the console"))


def _member_link(member: Distributor | None) -> str:
    if member is None:
        return "—"
    url = reverse("admin:genealogy_distributor_change", args=[member.pk])
    return format_html('<a href="{}">{}</a>', url, member.member_id)


def _placement_text(parent: Distributor | None, position: int | None) -> str:
    if parent is None:
        return "—"
    label = placement_shape().label(position)
    link = _member_link(parent)
    return format_html("{} · {}", link, label) if label else link


class StructureEventInline(admin.TabularInline):
    """The member's structure history on their change page (read-only)."""

    model = StructureEvent
    fk_name = "distributor"
    extra = 0
    can_delete = False
    ordering = ("-effective_at", "-id")
    fields = ("effective_at", "kind", "change", "actor", "reason")
    readonly_fields = fields
    show_change_link = True

    @admin.display(description=_("change"))
    def change(self, event: StructureEvent) -> str:
        return describe_event(event)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[StructureEvent]:
        return (
            super()
            .get_queryset(request)
            .select_related(
                "actor",
                "old_sponsor",
                "new_sponsor",
                "old_placement_parent",
                "new_placement_parent",
            )
        )


def describe_event(event: StructureEvent) -> str:
    """What changed, in words: ``sponsor: A → B; placement: C · L → D · R; status: ...``.

    An enrollment shows where the member joined.
    """
    sponsor, placement = gettext("sponsor"), gettext("placement")
    if event.kind == event.Kind.ENROLLED:
        return format_html(
            "{}: {}; {}: {}",
            sponsor,
            _member_link(event.new_sponsor),
            placement,
            _placement_text(event.new_placement_parent, event.new_placement_position),
        )
    statuses = dict(Distributor.Status.choices)
    kinds = dict(Distributor.Kind.choices)
    parts = []
    if event.old_sponsor_id != event.new_sponsor_id:
        parts.append(
            format_html(
                "{}: {} → {}",
                sponsor,
                _member_link(event.old_sponsor),
                _member_link(event.new_sponsor),
            )
        )
    old_slot = (event.old_placement_parent_id, event.old_placement_position)
    if old_slot != (event.new_placement_parent_id, event.new_placement_position):
        parts.append(
            format_html(
                "{}: {} → {}",
                placement,
                _placement_text(event.old_placement_parent, event.old_placement_position),
                _placement_text(event.new_placement_parent, event.new_placement_position),
            )
        )
    if event.old_status != event.new_status:
        parts.append(
            format_html(
                "{}: {} → {}",
                gettext("status"),
                statuses.get(event.old_status, event.old_status),
                statuses.get(event.new_status, event.new_status),
            )
        )
    if event.old_kind != event.new_kind:
        parts.append(
            format_html(
                "{}: {} → {}",
                gettext("kind"),
                kinds.get(event.old_kind, event.old_kind),
                kinds.get(event.new_kind, event.new_kind),
            )
        )
    return format_html_join("; ", "{}", ((part,) for part in parts))


@admin.register(Distributor)
class DistributorAdmin(ReadOnlyAdmin):
    """Members, read-only; enrolment, moves, status, upgrade and contact details change in the
    console."""

    list_display = (
        "member_id",
        "name",
        "kind",
        "status",
        "sponsor_column",
        "placement_column",
        "country",
        "language",
        "joined_on",
        "enrollment_downline",
        "placement_downline",
    )
    list_filter = ("kind", "status", "country", "language")
    search_fields = ("member_id", "name", "email")
    list_select_related = ("sponsor", "placement_parent")
    show_full_result_count = False
    list_per_page = 50
    fields = (
        "console",
        "member_id",
        "kind",
        "status",
        "name",
        "email",
        "country",
        "language",
        "currency",
        "user",
        "joined_on",
        "sponsor_column",
        "placement_column",
        "enrollment_downline",
        "placement_downline",
        "placement_free_depth",
        "created_at",
    )
    readonly_fields = fields
    inlines = (StructureEventInline,)

    @admin.display(description=_("console"))
    def console(self, member: Distributor) -> str:
        return console_link(member)

    @admin.display(description=_("sponsor"), ordering="sponsor__member_id")
    def sponsor_column(self, member: Distributor) -> str:
        return _member_link(member.sponsor)

    @admin.display(description=_("placement"), ordering="placement_parent__member_id")
    def placement_column(self, member: Distributor) -> str:
        return _placement_text(member.placement_parent, member.placement_position)


@admin.register(StructureEvent)
class StructureEventAdmin(ReadOnlyAdmin):
    """Structure history, read-only; a change is reversed from the member's console page."""

    list_display = (
        "id",
        "effective_at",
        "member_column",
        "kind",
        "change_column",
        "actor",
        "reason",
        "reversed_column",
    )
    list_filter = ("kind", "effective_at")
    date_hierarchy = "effective_at"
    search_fields = ("distributor__member_id", "reason")
    list_select_related = (
        "distributor",
        "actor",
        "old_sponsor",
        "new_sponsor",
        "old_placement_parent",
        "new_placement_parent",
        "reversed_by",
    )
    show_full_result_count = False
    ordering = ("-effective_at", "-id")
    fields = (
        "console",
        "distributor",
        "kind",
        "change_column",
        "effective_at",
        "recorded_at",
        "actor",
        "reason",
        "reverses",
        "reversed_column",
        "change_id",
    )
    readonly_fields = fields

    @admin.display(description=_("console"))
    def console(self, event: StructureEvent) -> str:
        return console_link(event.distributor)

    @admin.display(description=_("member"), ordering="distributor__member_id")
    def member_column(self, event: StructureEvent) -> str:
        return _member_link(event.distributor)

    @admin.display(description=_("change"))
    def change_column(self, event: StructureEvent) -> str:
        return describe_event(event)

    @admin.display(description=_("reversed by"))
    def reversed_column(self, event: StructureEvent) -> str:
        reversal = getattr(event, "reversed_by", None)
        if reversal is None:
            return "—"
        url = reverse("admin:genealogy_structureevent_change", args=[reversal.pk])
        return format_html('<a href="{}">#{}</a>', url, reversal.pk)
