"""Provider feedback: django-anymail's ``tracking`` signal feeds the suppression list."""

from __future__ import annotations

from .mail import do_suppress
from .models import Suppression

REASONS = {
    "bounced": Suppression.Reason.BOUNCE,
    "rejected": Suppression.Reason.BOUNCE,
    "complained": Suppression.Reason.COMPLAINT,
    "unsubscribed": Suppression.Reason.UNSUBSCRIBE,
}


def on_anymail_tracking(sender, event, esp_name, **kwargs) -> None:
    reason = REASONS.get(getattr(event, "event_type", ""))
    recipient = getattr(event, "recipient", "") or ""
    if reason and recipient:
        do_suppress(recipient, reason, f"{esp_name}: {getattr(event, 'description', '') or ''}")
