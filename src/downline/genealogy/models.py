"""The distributor network: an enrollment (sponsor) tree and a placement tree over one table.

Both trees are adjacency lists. Integrity (no cycles, one root, placement capacity, placement
inside the sponsor's placement subtree, no orphans) is checked by ``actions`` when a row is
written; the constraints below are the part a database can enforce on its own. Every structure
change is a ``StructureEvent``, so the trees as they stood on any past instant can be rebuilt.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Replace, Substr
from django.utils.translation import gettext_lazy as _

from downline.core.phrases import render_stored

from . import reasons  # noqa: F401  (registers the reason phrases rendered below)

SPONSOR_PATH_KEY_CHARS = 2000
"""Characters of ``sponsor_path`` kept in the indexed ``sponsor_path_key``: a btree entry must
stay under ~2.7 kB on PostgreSQL (every member less than ~250 levels deep fits whole)."""


class StoredGeneratedField(models.GeneratedField):
    """A ``GeneratedField`` with ``db_persist=True`` whose system check does not ask the
    database server what it supports: Django's own check reads the PostgreSQL server's version
    for that, i.e. connects, and ``downline check --deploy`` must pass where the database is not
    reachable (a build step). Both databases Downline runs on (PostgreSQL 12+, SQLite 3.31+)
    store generated columns."""

    def _check_supported(self, databases):
        return []

    def _check_persistence(self, databases):
        return []


def sponsor_path_key_field() -> models.GeneratedField:
    """The indexed prefix of a ``sponsor_path`` column, written by the database (bytewise
    ``COLLATE "C"`` on PostgreSQL, set by the migration that adds it)."""
    return StoredGeneratedField(
        expression=Substr("sponsor_path", 1, SPONSOR_PATH_KEY_CHARS),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("sponsor path prefix"),
    )


def sponsor_depth_field() -> models.GeneratedField:
    """Levels below the root of a ``sponsor_path`` column: its ``/`` count minus two (the
    root's ``/1/`` is 0), written by the database."""
    return StoredGeneratedField(
        expression=Length("sponsor_path") - Length(Replace("sponsor_path", models.Value("/"))) - 2,
        output_field=models.IntegerField(),
        db_persist=True,
        verbose_name=_("levels below the root"),
    )


class Distributor(models.Model):
    """A member of the network: a distributor, or a retail customer enrolled by a distributor.

    A retail customer has a sponsor (the distributor who enrolled them) and no placement; their
    orders are customer volume of that sponsor. ``placement_position`` is 1 (left) or 2 (right) in
    a binary tree, the slot 1..width in a matrix, and empty in an unconstrained placement tree.
    ``enrollment_downline`` and ``placement_downline`` count the distributors below, kept
    current by every action that changes the trees.

    ``placement_free_depth`` is how many levels below this member the nearest free placement
    slot is: 0 when this member itself takes new members (a distributor, not terminated and, in
    a binary or matrix tree, with fewer children than slots), otherwise ``1 + min`` over its
    placement children; empty when no member of its placement subtree takes new members (and
    for retail customers). Spillover descends along it, so finding the first free slot
    breadth-first costs one lookup per level, not one per member of the subtree.
    """

    class Kind(models.TextChoices):
        DISTRIBUTOR = "distributor", _("distributor")
        CUSTOMER = "customer", _("retail customer")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        TERMINATED = "terminated", _("terminated")

    member_id = models.CharField(_("member id"), max_length=64, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="distributor",
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=Kind.choices, default=Kind.DISTRIBUTOR
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    sponsor = models.ForeignKey(
        "self",
        verbose_name=_("sponsor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrollees",
    )
    placement_parent = models.ForeignKey(
        "self",
        verbose_name=_("placement parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="placement_children",
    )
    placement_position = models.PositiveSmallIntegerField(
        _("placement position"), null=True, blank=True
    )
    joined_on = models.DateField(_("joined on"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    country = models.CharField(_("country"), max_length=2, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    enrollment_downline = models.PositiveIntegerField(_("enrollment downline"), default=0)
    placement_downline = models.PositiveIntegerField(_("placement downline"), default=0)
    placement_free_depth = models.PositiveIntegerField(
        _("levels to the nearest free slot"), null=True, blank=True, default=0
    )
    sponsor_path = models.TextField(
        _("sponsor path"),
        blank=True,
        default="",
        db_default="",
        editable=False,
        help_text=_("the ids from the root of the enrollment tree down to this member"),
    )
    sponsor_path_key = sponsor_path_key_field()
    sponsor_depth = sponsor_depth_field()
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("distributor")
        verbose_name_plural = _("distributors")
        ordering = ("id",)
        constraints = (
            models.UniqueConstraint(
                fields=["kind"], condition=Q(sponsor__isnull=True), name="one_root"
            ),
            models.UniqueConstraint(
                fields=["placement_parent", "placement_position"],
                condition=Q(placement_position__isnull=False),
                name="one_member_per_placement_slot",
            ),
            models.CheckConstraint(
                condition=~Q(sponsor=F("id")) & ~Q(placement_parent=F("id")),
                name="not_own_parent",
            ),
            models.CheckConstraint(
                condition=Q(kind="distributor")
                | Q(
                    sponsor__isnull=False,
                    placement_parent__isnull=True,
                    placement_position__isnull=True,
                ),
                name="customer_has_sponsor_and_no_placement",
            ),
            models.CheckConstraint(
                condition=Q(kind="customer")
                | Q(sponsor__isnull=True, placement_parent__isnull=True)
                | Q(sponsor__isnull=False, placement_parent__isnull=False),
                name="distributor_placed_unless_root",
            ),
        )
        indexes = (
            models.Index(fields=["sponsor", "kind", "member_id"], name="enrollees_idx"),
            models.Index(
                fields=["placement_parent", "placement_position", "member_id"],
                name="placement_children_idx",
            ),
            models.Index(
                fields=["sponsor_path_key"],
                include=["id", "sponsor_depth", "kind"],
                name="sponsor_path_key_idx",
            ),
        )

    def __str__(self) -> str:
        return f"{self.member_id} {self.name}".strip()

    def save(self, *args, **kwargs) -> None:
        """Save; a new row (or one without a path) then gets its ``sponsor_path``: the
        sponsor's stored path followed by its own id (``genealogy.sponsor_path``). Moves
        rewrite paths with ``sponsor_path.rewrite_subtree``, not here."""
        super().save(*args, **kwargs)
        if not self.sponsor_path and self.pk is not None:
            parent = (
                Distributor.objects.filter(pk=self.sponsor_id)
                .values_list("sponsor_path", flat=True)
                .first()
                if self.sponsor_id is not None
                else None
            )
            if self.sponsor_id is not None and not parent:  # a sponsor written around save()
                from .tree_sql import ENROLLMENT, upline_ids

                parent = "/" + "".join(
                    f"{pk}/" for pk in reversed(upline_ids(ENROLLMENT, self.sponsor_id))
                )
            self.sponsor_path = f"{parent or '/'}{self.pk}/"
            Distributor.objects.filter(pk=self.pk).update(sponsor_path=self.sponsor_path)

    @property
    def is_customer(self) -> bool:
        return self.kind == self.Kind.CUSTOMER


class StructureEvent(models.Model):
    """One change to the network, with who made it, when it takes effect and why.

    ``old_*``/``new_*`` hold the sponsor, placement, status and kind before and after. A reversal
    is a new event that points at the event it reverses (``reverses``); events are never edited.
    The trees as of instant T are the ``new_*`` values of each member's latest event with
    ``effective_at <= T`` (ties broken by id): every event carries the member's whole state
    (sponsor, placement, status, kind) before and after, not only the part that changed.
    Events written by one action (a move changes sponsor and placement: two events) share a
    ``change_id``; reversing one of them reverses the whole change.
    """

    class Kind(models.TextChoices):
        ENROLLED = "enrolled", _("enrolled")
        SPONSOR_CHANGED = "sponsor_changed", _("sponsor changed")
        PLACEMENT_CHANGED = "placement_changed", _("placement changed")
        STATUS_CHANGED = "status_changed", _("status changed")
        UPGRADED = "upgraded", _("upgraded to distributor")
        REVERSED = "reversed", _("reversal")

    distributor = models.ForeignKey(
        Distributor,
        verbose_name=_("distributor"),
        on_delete=models.PROTECT,
        related_name="structure_events",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    change_id = models.UUIDField(_("change"), default=uuid.uuid4, editable=False)
    effective_at = models.DateTimeField(_("effective at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    reason_key = models.CharField(
        _("reason key"),
        max_length=60,
        null=True,
        blank=True,
        help_text=_(
            "a reason the platform wrote, as a message key rendered in the reader's language"
        ),
    )
    reason_params = models.JSONField(_("reason parameters"), null=True, blank=True)
    old_sponsor = models.ForeignKey(
        Distributor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("old sponsor"),
    )
    new_sponsor = models.ForeignKey(
        Distributor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("new sponsor"),
    )
    old_placement_parent = models.ForeignKey(
        Distributor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("old placement parent"),
    )
    new_placement_parent = models.ForeignKey(
        Distributor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("new placement parent"),
    )
    old_placement_position = models.PositiveSmallIntegerField(
        _("old placement position"), null=True, blank=True
    )
    new_placement_position = models.PositiveSmallIntegerField(
        _("new placement position"), null=True, blank=True
    )
    old_status = models.CharField(
        _("old status"), max_length=12, choices=Distributor.Status.choices, blank=True
    )
    new_status = models.CharField(
        _("new status"), max_length=12, choices=Distributor.Status.choices, blank=True
    )
    old_kind = models.CharField(
        _("old kind"), max_length=12, choices=Distributor.Kind.choices, blank=True
    )
    new_kind = models.CharField(
        _("new kind"), max_length=12, choices=Distributor.Kind.choices, blank=True
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )

    class Meta:
        verbose_name = _("structure event")
        verbose_name_plural = _("structure events")
        ordering = ("effective_at", "id")
        indexes = (
            models.Index(
                fields=["distributor", "effective_at", "id"], name="event_member_time_idx"
            ),
            models.Index(fields=["effective_at", "id"], name="event_time_idx"),
            models.Index(fields=["change_id"], name="event_change_idx"),
            models.Index(fields=["new_sponsor", "effective_at"], name="event_new_sponsor_idx"),
            models.Index(
                fields=["new_placement_parent", "effective_at"], name="event_new_placement_idx"
            ),
        )

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.distributor.member_id} @ {self.effective_at:%Y-%m-%d}"

    @property
    def reason_text(self) -> str:
        """The reason in the reader's language: a reason the platform wrote is stored as a key
        (older rows are recognised from their English text); one a person typed is as written."""
        return render_stored(self.reason_key, self.reason_params, self.reason)
