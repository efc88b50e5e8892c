"""Background tasks of the contacts app (``django.tasks``; run by ``downline worker``).

* ``send_task_reminders``: e-mails each distributor their follow-ups that have come due, once
  per task (``reminder_sent_at``). The tasks of one distributor are claimed with
  ``select_for_update(skip_locked)`` and marked in the same transaction as the sending, so
  two workers never remind of the same task; a failed send rolls back and is retried.
* ``erase_inactive_contacts``: erases contacts inactive longer than
  ``DOWNLINE_CONTACT_RETENTION_DAYS`` (default 730), keeping anonymised tombstones.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .actions import do_erase_inactive_contacts
from .models import FollowUpTask

logger = logging.getLogger(__name__)


def _owner_address(owner) -> tuple[str, str]:
    user = owner.user
    email = owner.email or (user.email if user is not None else "")
    language = (user.language if user is not None else None) or owner.language or "en"
    return email, language


def remind_due_tasks(now: datetime | None = None) -> int:
    """Send the due reminders; returns how many tasks were reminded of."""
    now = now or timezone.now()
    owners = (
        FollowUpTask.objects.filter(
            done_at__isnull=True, reminder_sent_at__isnull=True, due_at__lte=now
        )
        .values_list("owner_id", flat=True)
        .distinct()
    )
    reminded = 0
    base = getattr(settings, "DOWNLINE_SITE_URL", "http://localhost:8000").rstrip("/")
    for owner_id in list(owners):
        with transaction.atomic():
            tasks = list(
                FollowUpTask.objects.select_for_update(skip_locked=True)
                .filter(
                    owner_id=owner_id,
                    done_at__isnull=True,
                    reminder_sent_at__isnull=True,
                    due_at__lte=now,
                    contact__erased_at__isnull=True,
                )
                .order_by("due_at", "pk")
            )
            if not tasks:
                continue
            owner = tasks[0].owner
            for item in tasks:
                item.contact  # noqa: B018 - loaded for the e-mail
            email, language = _owner_address(owner)
            if email:
                with translation.override(language):
                    context = {
                        "tasks": tasks,
                        "count": len(tasks),
                        "link": base + reverse("contacts:tasks"),
                    }
                    subject = render_to_string(
                        "contacts/emails/reminder_subject.txt", context
                    ).strip()
                    body = render_to_string("contacts/emails/reminder_body.txt", context)
                send_mail(subject, body, None, [email])
            FollowUpTask.objects.filter(pk__in=[t.pk for t in tasks]).update(reminder_sent_at=now)
            reminded += len(tasks)
    return reminded


@task
def send_task_reminders() -> dict[str, int]:
    return {"reminded": remind_due_tasks()}


@task
def erase_inactive_contacts(day: str | None = None) -> dict[str, int]:
    return {"erased": do_erase_inactive_contacts()}
