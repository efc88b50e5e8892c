"""Timeline entries in words, rendered when read in the reader's language (rule 12).

An entry stores ``kind`` and ``params`` (ids, keys, numbers). ``describe(entry)`` gives the
sentence for the active language; the parameters the sentence does not use are shown as
details (``details(entry)``). Kinds written by other apps: page_visit, email_sent,
email_opened, email_clicked, webinar_registered, webinar_attended, webinar_missed, order.
An unknown kind is shown by its key, so nothing is lost.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Contact

SENTENCES = {
    "created": gettext_lazy("Added to your contacts"),
    "signed_up": gettext_lazy("Signed up (%(source)s)"),
    "imported": gettext_lazy("Imported from a %(format)s file"),
    "consent_given": gettext_lazy("Agreed to receive e-mail; confirmation pending"),
    "consent_confirmed": gettext_lazy("Confirmed their e-mail address (double opt-in)"),
    "unsubscribed": gettext_lazy("Unsubscribed from e-mail"),
    "stage_changed": gettext_lazy("Stage changed from %(old)s to %(new)s"),
    "updated": gettext_lazy("Details changed"),
    "note_added": gettext_lazy("Note written"),
    "task_added": gettext_lazy("Follow-up planned"),
    "task_done": gettext_lazy("Follow-up done"),
    "merged": gettext_lazy("A duplicate was merged into this contact"),
    "erased": gettext_lazy("Personal data erased (%(reason)s)"),
    "page_visit": gettext_lazy("Visited the page %(page)s"),
    "email_sent": gettext_lazy("E-mail sent"),
    "email_opened": gettext_lazy("Opened an e-mail"),
    "email_clicked": gettext_lazy("Clicked a link in an e-mail"),
    "webinar_registered": gettext_lazy("Registered for a webinar"),
    "webinar_attended": gettext_lazy("Attended a webinar"),
    "webinar_missed": gettext_lazy("Missed a webinar"),
    "order": gettext_lazy("Placed an order"),
}
REASONS = {
    "contact": gettext_lazy("asked by the contact"),
    "owner": gettext_lazy("by you"),
    "retention": gettext_lazy("inactive longer than the retention period"),
}
FORMATS = {"csv": "CSV", "vcard": "vCard"}


def _stage(value: str) -> str:
    try:
        return str(Contact.Stage(value).label)
    except ValueError:
        return str(value)


def _values(kind: str, params: dict) -> dict:
    values = {key: str(value) for key, value in params.items()}
    if kind == "stage_changed":
        values["old"] = _stage(params.get("old", ""))
        values["new"] = _stage(params.get("new", ""))
    if kind == "erased":
        values["reason"] = str(REASONS.get(params.get("reason"), params.get("reason", "")))
    if kind == "imported":
        values["format"] = FORMATS.get(params.get("format"), params.get("format", ""))
    return values


USED = {
    "signed_up": {"source"},
    "imported": {"format"},
    "stage_changed": {"old", "new"},
    "erased": {"reason"},
    "page_visit": {"page"},
}


def describe(entry) -> str:
    sentence = SENTENCES.get(entry.kind)
    if sentence is None:
        return _("Event “%(kind)s”") % {"kind": entry.kind}
    try:
        return str(sentence) % _values(entry.kind, entry.params or {})
    except (KeyError, ValueError, TypeError):
        return str(sentence).split("(")[0].split("%")[0].strip()


def details(entry) -> str:
    """The parameters the sentence does not show, as ``key: value`` pairs."""
    used = USED.get(entry.kind, set())
    return ", ".join(
        f"{key}: {value}"
        for key, value in (entry.params or {}).items()
        if key not in used and not key.endswith("_id") and value not in (None, "")
    )
