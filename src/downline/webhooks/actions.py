"""Writes of the webhooks app: subscriptions made, disabled, enabled; deliveries replayed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.core.events import KINDS

from .models import Delivery, Subscription
from .signing import new_secret

logger = logging.getLogger(__name__)


class WebhookError(ValueError):
    """A request the webhooks app refuses, with the reason in the reader's language."""


def _clean_url(url: object) -> str:
    text = str(url or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(
            _("The endpoint %(url)r is not an http:// or https:// address.") % {"url": text}
        )
    if len(text) > 500:
        raise WebhookError(_("The endpoint address is longer than 500 characters."))
    return text


def _clean_kinds(kinds: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(kinds))
    unknown = [kind for kind in chosen if kind not in KINDS]
    if unknown:
        raise WebhookError(
            _("Unknown event kinds: %(kinds)s. Known kinds: %(known)s.")
            % {"kinds": ", ".join(unknown), "known": ", ".join(KINDS)}
        )
    if not chosen:
        raise WebhookError(_("Choose at least one kind of event."))
    return [kind for kind in KINDS if kind in chosen]


@transaction.atomic
def do_create_subscription(
    *, url: str, kinds: Sequence[str], description: str = "", actor: User | None = None
) -> tuple[Subscription, str]:
    """Subscribe ``url`` to the events of ``kinds``; returns the subscription and its secret,
    which is shown once."""
    secret = new_secret()
    subscription = Subscription.objects.create(
        url=_clean_url(url),
        kinds=_clean_kinds(kinds),
        description=(description or "").strip()[:200],
        secret=secret,
        created_by=actor,
    )
    logger.info("webhook subscription %s created by %s", subscription.pk, actor)
    return subscription, secret


@transaction.atomic
def do_disable_subscription(
    subscription: Subscription, *, actor: User | None = None
) -> Subscription:
    """Stop sending to ``subscription``; its pending deliveries wait until it is enabled."""
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if not locked.enabled:
        raise WebhookError(_("The endpoint %(url)s is disabled already.") % {"url": locked.url})
    locked.enabled = False
    locked.disabled_at = timezone.now()
    locked.disabled_automatically = False
    locked.save(update_fields=["enabled", "disabled_at", "disabled_automatically"])
    logger.info("webhook subscription %s disabled by %s", locked.pk, actor)
    return locked


@transaction.atomic
def do_enable_subscription(
    subscription: Subscription, *, actor: User | None = None
) -> Subscription:
    """Send to ``subscription`` again: its failure clock starts afresh and its pending
    deliveries are due now (each gets at least one more attempt)."""
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.enabled:
        raise WebhookError(_("The endpoint %(url)s is enabled already.") % {"url": locked.url})
    now = timezone.now()
    locked.enabled = True
    locked.failing_since = None
    locked.disabled_at = None
    locked.disabled_automatically = False
    locked.save(update_fields=["enabled", "failing_since", "disabled_at", "disabled_automatically"])
    locked.deliveries.filter(status=Delivery.Status.PENDING).update(
        next_attempt_at=now, created_at=now
    )
    logger.info("webhook subscription %s enabled by %s", locked.pk, actor)
    return locked


@transaction.atomic
def do_replay_delivery(delivery: Delivery, *, actor: User | None = None) -> Delivery:
    """Send ``delivery``'s event to its subscription once more, as a new delivery (same
    ``webhook-id``; the receiver deduplicates). It waits behind the member's pending ones."""
    subscription = Subscription.objects.get(pk=delivery.subscription_id)
    if not subscription.enabled:
        raise WebhookError(
            _("The endpoint %(url)s is disabled; enable it before replaying.")
            % {"url": subscription.url}
        )
    now = timezone.now()
    replay = Delivery.objects.create(
        event_id=delivery.event_id,
        subscription=subscription,
        member_id=delivery.member_id,
        created_at=now,
        next_attempt_at=now,
        replay_of=delivery,
    )
    logger.info("webhook delivery %s replayed as %s by %s", delivery.pk, replay.pk, actor)
    return replay
