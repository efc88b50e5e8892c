"""Audit of who holds power: changes of a login's staff flag, superuser flag, ``is_active`` and
groups (staff roles) become ``SecurityEvent`` rows, and the other administrators hear of them.

Rules:

* Whatever makes the change (the Django admin, the console, a management command, code), a
  signal receiver here records it: ``pre_save``/``post_save`` of ``User`` for the three flags
  (a new login counts as a change from "off" for the staff and superuser flags it is created
  with, and as a change of ``is_active`` only when created deactivated),
  ``m2m_changed`` of ``User.groups`` for roles (either side of the relation, ``clear``
  included). The row is written in the same transaction as the change.
* The actor is the login named by ``acting_as`` (the admin wraps its saves in it); without one
  the row says "unknown" (a command line or code: shell access is trusted like a database
  superuser).
* Once the transaction commits, every *other* active superuser and active staff login with the
  ``admin`` role (neither the actor nor the login concerned) gets an e-mail in their language naming the login, what
  changed, by whom and when (``accounts/emails/login_rights_changed_*.txt``). One person cannot
  quietly give a second login the power to approve their own money movements.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.template.loader import render_to_string
from django.utils import translation

from .models import SecurityEvent, User

logger = logging.getLogger("downline.security")

WATCHED_FLAGS: dict[str, str] = {
    "is_staff": SecurityEvent.Kind.STAFF_CHANGED,
    "is_superuser": SecurityEvent.Kind.SUPERUSER_CHANGED,
    "is_active": SecurityEvent.Kind.ACTIVE_CHANGED,
}
UNKNOWN_ACTOR = "unknown"
ADMIN_ROLE = "admin"

_actor: ContextVar[User | None] = ContextVar("downline_security_actor", default=None)
_setting_up: ContextVar[bool] = ContextVar("downline_security_setting_up", default=False)


@contextmanager
def initial_setup() -> Iterator[None]:
    """Login changes made inside the block are the installation's own set-up (the demo's
    seeding): recorded as always, but logged at DEBUG and nobody is e-mailed about them."""
    token = _setting_up.set(True)
    try:
        yield
    finally:
        _setting_up.reset(token)


@contextmanager
def acting_as(user: User | None) -> Iterator[None]:
    """Name ``user`` as the actor of the login changes made inside the block."""
    token = _actor.set(user if user is not None and user.is_authenticated else None)
    try:
        yield
    finally:
        _actor.reset(token)


def record_login_change(user: User, kind: str, detail: str) -> SecurityEvent:
    """Write the event of ``kind`` about ``user`` (who by: ``acting_as``) and notify the other
    administrators once the transaction commits."""
    actor = _actor.get()
    event = SecurityEvent.objects.create(
        kind=kind,
        actor=actor,
        actor_name=actor.get_username() if actor is not None else UNKNOWN_ACTOR,
        user=user,
        user_name=user.get_username(),
        how=SecurityEvent.How.ACCOUNT_CHANGE,
        detail=detail[:500],
    )
    setting_up = _setting_up.get()
    logger.log(
        logging.DEBUG if setting_up else logging.INFO,
        "%s: %s (%s) by %s", kind, user.get_username(), detail, event.actor_name,
        extra={"user_id": user.pk, "actor_id": actor.pk if actor is not None else None},
    )  # fmt: skip
    if not setting_up:
        transaction.on_commit(lambda: notify_administrators(event))
    return event


def administrators_to_notify(event: SecurityEvent) -> list[User]:
    """Active superusers and active staff with the admin role, except the event's actor and
    the login it concerns."""
    admins = (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(is_staff=True, groups__name=ADMIN_ROLE))
        .exclude(pk=event.user_id)
    )
    if event.actor_id is not None:
        admins = admins.exclude(pk=event.actor_id)
    return [admin for admin in admins.distinct().order_by("pk") if admin.email]


def notify_administrators(event: SecurityEvent) -> None:
    """E-mail each administrator of ``administrators_to_notify`` about ``event``."""
    for admin in administrators_to_notify(event):
        with translation.override(admin.language or "en"):
            context = {
                "recipient": admin,
                "event": event,
                "kind": event.get_kind_display(),
                "company": settings.DOWNLINE_COMPANY_NAME,
                "zone": settings.DOWNLINE_TIME_ZONE,
            }
            subject = render_to_string(
                "accounts/emails/login_rights_changed_subject.txt", context
            ).strip()
            body = render_to_string("accounts/emails/login_rights_changed_body.txt", context)
        send_mail(subject, body, None, [admin.email])


def _flag_changes(instance: User, created: bool) -> list[tuple[str, bool, bool]]:
    """``(flag, old, new)`` for each watched flag that changed; a new login counts as changed
    from "off" for staff and superuser (a new login is active as a matter of course)."""
    previous: dict[str, bool] = getattr(instance, "_security_previous", {})
    if created:
        previous = {"is_staff": False, "is_superuser": False, "is_active": True}
    return [
        (name, previous.get(name, False), bool(getattr(instance, name)))
        for name in WATCHED_FLAGS
        if previous.get(name, False) != bool(getattr(instance, name))
    ]


def _remember_flags(sender, instance: User, raw: bool = False, update_fields=None, **kwargs):
    """Before a save: keep the stored flags, to compare after it (skipped when the save names
    only other fields, such as ``last_login`` at every sign-in)."""
    if raw or (update_fields is not None and not set(update_fields) & set(WATCHED_FLAGS)):
        instance._security_previous = {name: getattr(instance, name) for name in WATCHED_FLAGS}
        return
    stored = None
    if instance.pk is not None:
        stored = User.objects.filter(pk=instance.pk).values(*WATCHED_FLAGS).first()
    instance._security_previous = stored or {}


def _record_flags(sender, instance: User, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    for name, old, new in _flag_changes(instance, created):
        record_login_change(instance, WATCHED_FLAGS[name], f"{name}: {old} -> {new}")
    instance._security_previous = {name: getattr(instance, name) for name in WATCHED_FLAGS}


def _group_names(pks) -> list[str]:
    return sorted(Group.objects.filter(pk__in=pks).values_list("name", flat=True))


def _record_groups(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """Roles granted or taken, from either side (``user.groups`` or ``group.user_set``)."""
    if action == "pre_clear":
        if isinstance(instance, User):
            instance._security_groups = _group_names(instance.groups.values("pk"))
        else:
            instance._security_members = list(instance.user_set.all())
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    sign = "+" if action == "post_add" else "-"
    if isinstance(instance, User):
        names = (
            getattr(instance, "_security_groups", [])
            if action == "post_clear"
            else _group_names(pk_set or ())
        )
        if names:
            detail = "groups: " + ", ".join(f"{sign}{name}" for name in names)
            record_login_change(instance, SecurityEvent.Kind.GROUPS_CHANGED, detail)
        return
    users = (
        getattr(instance, "_security_members", [])
        if action == "post_clear"
        else list(User.objects.filter(pk__in=pk_set or ()))
    )
    for user in users:
        detail = f"groups: {sign}{instance.name}"
        record_login_change(user, SecurityEvent.Kind.GROUPS_CHANGED, detail)


def connect() -> None:
    """Connect the receivers (``AccountsConfig.ready``)."""
    pre_save.connect(_remember_flags, sender=User, dispatch_uid="accounts-security-pre")
    post_save.connect(_record_flags, sender=User, dispatch_uid="accounts-security-post")
    m2m_changed.connect(
        _record_groups, sender=User.groups.through, dispatch_uid="accounts-security-groups"
    )
