"""Background tasks of the growth app (``django.tasks``; run by ``downline worker``).

* ``build_radar(day)`` — daily: the radar of every sponsor for ``day`` (a ``RadarBuild`` job
  with a heartbeat, so a build whose worker died is failed with the reason, ``core.jobs``),
  then each sponsor's radar digest notification.
* ``deliver_notifications()`` — every minute: outbox events → notifications (consumer
  ``growth.notifications``), then e-mail and push of the new ones.
* ``send_notification_digests(day)`` — daily: the digest e-mails.
"""

from __future__ import annotations

from datetime import date

from django.tasks import task

from downline.core.jobs import SLICE_SECONDS, Heartbeat, running_fields, sqlite_lock_free
from downline.genealogy.rules import company_today

from . import notify
from .actions import do_build_radar
from .models import RadarBuild


def run_radar_build(day: date) -> RadarBuild:
    """Build the radar of ``day`` as a job with a heartbeat (also used by the CLI/benchmark)."""
    build = RadarBuild.objects.create(day=day, status=RadarBuild.Status.QUEUED)
    with Heartbeat(RadarBuild, build.pk, can_write=sqlite_lock_free()):
        RadarBuild.objects.filter(pk=build.pk).update(
            status=RadarBuild.Status.RUNNING, **running_fields()
        )
        return do_build_radar(day, build=build)


@task
def build_radar(on_date: str | None = None) -> dict[str, object]:
    day = date.fromisoformat(on_date) if on_date else company_today()
    build = run_radar_build(day)
    return {"build": build.pk, "items": build.items, "seconds": build.seconds}


@task
def deliver_notifications(seconds: float = SLICE_SECONDS) -> dict[str, int]:
    """Outbox events to notifications for at most about ``seconds`` (the next run goes on),
    then e-mail and push of up to 5,000 new notifications."""
    events = notify.consume_events(seconds=seconds)
    counts = notify.deliver_pending()
    counts["events"] = events
    return counts


@task
def send_notification_digests(on_date: str | None = None) -> int:
    notify.consume_events()
    notify.deliver_pending()
    return notify.send_digests()
