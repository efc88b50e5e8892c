"""Operator screens for the network. Every change goes through ``actions``.

Distributors: searchable, filterable list; the change form edits contact details only, and links
to the forms that change sponsor, placement, both, status, or upgrade a retail customer, each
asking for a reason. Adding a distributor runs ``do_enroll``. Structure events: read-only
history with a "reverse" action (``do_reverse_event``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import actions
from .forms import (
    EnrollForm,
    MoveForm,
    PlacementChangeForm,
    ReasonForm,
    SponsorChangeForm,
    StatusChangeForm,
    UpgradeForm,
)
from .models import Distributor, StructureEvent
from .shape import placement_shape


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
class DistributorAdmin(admin.ModelAdmin):
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
    autocomplete_fields = ("user",)
    fields = (
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
        "network_actions",
    )
    readonly_fields = (
        "member_id",
        "kind",
        "status",
        "joined_on",
        "sponsor_column",
        "placement_column",
        "enrollment_downline",
        "placement_downline",
        "placement_free_depth",
        "created_at",
        "network_actions",
    )
    inlines = (StructureEventInline,)
    actions = ("change_status_of_selected",)

    @admin.display(description=_("sponsor"), ordering="sponsor__member_id")
    def sponsor_column(self, member: Distributor) -> str:
        return _member_link(member.sponsor)

    @admin.display(description=_("placement"), ordering="placement_parent__member_id")
    def placement_column(self, member: Distributor) -> str:
        return _placement_text(member.placement_parent, member.placement_position)

    @admin.display(description=_("network changes"))
    def network_actions(self, member: Distributor) -> str:
        if member.pk is None:
            return "—"
        names = [
            ("change_sponsor", gettext("Change sponsor")),
            ("change_status", gettext("Change status")),
        ]
        if member.kind == Distributor.Kind.CUSTOMER:
            names.append(("upgrade", gettext("Upgrade to distributor")))
        elif member.sponsor_id is not None:
            names[1:1] = [
                ("change_placement", gettext("Change placement")),
                ("move", gettext("Move (sponsor and placement)")),
            ]
        return format_html_join(
            " | ",
            '<a href="{}">{}</a>',
            (
                (reverse(f"admin:genealogy_distributor_{name}", args=[member.pk]), label)
                for name, label in names
            ),
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # ------------------------------------------------------------------ saving

    def save_model(self, request: HttpRequest, obj: Distributor, form: Any, change: bool) -> None:
        """Contact details through ``do_update_details`` (adding goes through ``add_view``)."""
        data = form.cleaned_data
        actions.do_update_details(
            obj,
            actor=request.user,
            name=data["name"],
            email=data["email"],
            country=data["country"],
            language=data["language"],
            currency=data["currency"],
            user=data["user"],
        )

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        """A new member through ``do_enroll``."""
        if not self.has_add_permission(request):
            raise PermissionDenied

        def perform(form: EnrollForm) -> Distributor:
            data = form.cleaned_data
            return actions.do_enroll(
                member_id=data["member_id"],
                kind=data["kind"],
                sponsor=data["sponsor"],
                joined_on=data["joined_on"],
                status=data["status"],
                name=data["name"],
                email=data["email"],
                country=data["country"],
                language=data["language"],
                currency=data["currency"],
                user=data["user"],
                placement_mode=data["placement_mode"],
                placement_parent=data["placement_parent"],
                position=data["position"],
                actor=request.user,
                reason=data["reason"],
            )

        return self._action_view(
            request,
            None,
            EnrollForm,
            perform,
            title=gettext("Enroll a member"),
            done=gettext("%(member)s was enrolled."),
        )

    # ------------------------------------------------------------------ network change views

    def get_urls(self) -> list:
        views: list[tuple[str, Callable]] = [
            ("change_sponsor", self.change_sponsor_view),
            ("change_placement", self.change_placement_view),
            ("move", self.move_view),
            ("change_status", self.change_status_view),
            ("upgrade", self.upgrade_view),
        ]
        extra = [
            path(
                f"<path:object_id>/{name.replace('_', '-')}/",
                self.admin_site.admin_view(view),
                name=f"genealogy_distributor_{name}",
            )
            for name, view in views
        ]
        return extra + super().get_urls()

    def _action_view(
        self,
        request: HttpRequest,
        member: Distributor | None,
        form_class: type,
        perform: Callable[[Any], Any],
        *,
        title: str,
        done: str,
    ) -> HttpResponse:
        """Show ``form_class``; on a valid POST run ``perform(form)`` (an action) and go back to
        the member, or show the action's ``NetworkIntegrityError`` on the form."""
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = perform(form)
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error)
            else:
                target = member if member is not None else result
                self.message_user(request, done % {"member": target.member_id}, messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:genealogy_distributor_change", args=[target.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "member": member,
            "member_summary": None
            if member is None
            else format_html(
                "{}: {}; {}: {}; {}: {}",
                gettext("sponsor"),
                _member_link(member.sponsor),
                gettext("placement"),
                _placement_text(member.placement_parent, member.placement_position),
                gettext("status"),
                member.get_status_display(),
            ),
            "form": form,
            "media": self.media + form.media,
            "has_view_permission": self.has_view_permission(request, member),
        }
        return TemplateResponse(request, "admin/genealogy/distributor/action_form.html", context)

    def _member_for_change(self, request: HttpRequest, object_id: str) -> Distributor:
        member = get_object_or_404(
            Distributor.objects.select_related("sponsor", "placement_parent"), pk=object_id
        )
        if not self.has_change_permission(request, member):
            raise PermissionDenied
        return member

    def change_sponsor_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        member = self._member_for_change(request, object_id)
        return self._action_view(
            request,
            member,
            SponsorChangeForm,
            lambda form: actions.do_change_sponsor(
                member,
                form.cleaned_data["new_sponsor"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
                effective_at=form.cleaned_data["effective_at"],
            ),
            title=gettext("Change the sponsor of %(member)s") % {"member": member.member_id},
            done=gettext("The sponsor of %(member)s was changed."),
        )

    def change_placement_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        member = self._member_for_change(request, object_id)
        return self._action_view(
            request,
            member,
            PlacementChangeForm,
            lambda form: actions.do_change_placement(
                member,
                form.cleaned_data["new_parent"],
                position=form.cleaned_data["position"],
                placement_mode=form.cleaned_data["placement_mode"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
                effective_at=form.cleaned_data["effective_at"],
            ),
            title=gettext("Change the placement of %(member)s") % {"member": member.member_id},
            done=gettext("The placement of %(member)s was changed."),
        )

    def move_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        member = self._member_for_change(request, object_id)
        return self._action_view(
            request,
            member,
            MoveForm,
            lambda form: actions.do_move(
                member,
                sponsor=form.cleaned_data["new_sponsor"],
                placement_parent=form.cleaned_data["placement_parent"],
                position=form.cleaned_data["position"],
                placement_mode=form.cleaned_data["placement_mode"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
                effective_at=form.cleaned_data["effective_at"],
            ),
            title=gettext("Move %(member)s (sponsor and placement)") % {"member": member.member_id},
            done=gettext("%(member)s was moved."),
        )

    def change_status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        member = self._member_for_change(request, object_id)
        return self._action_view(
            request,
            member,
            StatusChangeForm,
            lambda form: actions.do_change_status(
                member,
                form.cleaned_data["status"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
                effective_at=form.cleaned_data["effective_at"],
            ),
            title=gettext("Change the status of %(member)s") % {"member": member.member_id},
            done=gettext("The status of %(member)s was changed."),
        )

    def upgrade_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        member = self._member_for_change(request, object_id)
        return self._action_view(
            request,
            member,
            UpgradeForm,
            lambda form: actions.do_upgrade_customer(
                member,
                placement_mode=form.cleaned_data["placement_mode"],
                placement_parent=form.cleaned_data["placement_parent"],
                position=form.cleaned_data["position"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            ),
            title=gettext("Upgrade %(member)s to distributor") % {"member": member.member_id},
            done=gettext("%(member)s is now a distributor."),
        )

    # ------------------------------------------------------------------ bulk status change

    @admin.action(
        description=_("Change the status of the selected members"), permissions=("change",)
    )
    def change_status_of_selected(
        self, request: HttpRequest, queryset: QuerySet[Distributor]
    ) -> HttpResponse | None:
        form = StatusChangeForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            changed = 0
            for member in queryset.order_by("id"):
                try:
                    actions.do_change_status(
                        member,
                        form.cleaned_data["status"],
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        effective_at=form.cleaned_data["effective_at"],
                    )
                except ValidationError as error:
                    self.message_user(request, "; ".join(error.messages), messages.ERROR)
                else:
                    changed += 1
            self.message_user(
                request,
                gettext("The status of %(count)d members was changed.") % {"count": changed},
                messages.SUCCESS if changed else messages.WARNING,
            )
            return None
        return _confirm_page(
            self,
            request,
            queryset,
            form,
            title=gettext("Change the status of the selected members"),
            action="change_status_of_selected",
        )


def _confirm_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    form: Any,
    *,
    title: str,
    action: str,
) -> TemplateResponse:
    """The intermediate page of a bulk admin action: the selected rows and a form."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        "objects": queryset[:100],
        "count": queryset.count(),
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "action": action,
        "form": form,
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "admin/genealogy/confirm_action.html", context)


@admin.register(StructureEvent)
class StructureEventAdmin(admin.ModelAdmin):
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
    actions = ("reverse_events",)
    fields = (
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_reverse_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("genealogy.change_distributor")

    @admin.action(description=_("Reverse the selected changes"), permissions=("reverse",))
    def reverse_events(
        self, request: HttpRequest, queryset: QuerySet[StructureEvent]
    ) -> HttpResponse | None:
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done: set = set()
            for event in queryset.order_by("-effective_at", "-id"):
                if event.change_id in done:
                    continue
                try:
                    reversals = actions.do_reverse_event(
                        event, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                except ValidationError as error:
                    self.message_user(request, "; ".join(error.messages), messages.ERROR)
                else:
                    done.add(event.change_id)
                    self.message_user(
                        request,
                        gettext("Event #%(event)s was reversed by %(reversals)s.")
                        % {
                            "event": event.pk,
                            "reversals": ", ".join(f"#{item.pk}" for item in reversals),
                        },
                        messages.SUCCESS,
                    )
            return None
        return _confirm_page(
            self,
            request,
            queryset.select_related("distributor"),
            form,
            title=gettext("Reverse the selected changes"),
            action="reverse_events",
        )
