"""Writes of the compliance settings: indicator thresholds and disclaimers.

Rules: an indicator's thresholds must be ordered the way it is read (where more is better,
``red ≤ amber``; where less is better, ``amber ≤ red``) and not negative (the creep's
thresholds are rises, in basis points); a parameter must be ≥ 0, and one the indicator does not
have must stay empty (an empty parameter means the default). A disclaimer needs text.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from downline.accounts.models import User

from .catalogue import BY_CODE
from .errors import ComplianceError
from .models import DisclaimerText, IndicatorThreshold
from .statuses import thresholds_problem


def threshold_errors(
    code: str, amber: int, red: int, parameter: int | None, parameter_2: int | None
) -> dict[str, str]:
    """Field name → the reason a value is refused (empty when all are fine)."""
    indicator = BY_CODE.get(code)
    if indicator is None:
        return {"indicator": _("There is no indicator %(code)s.") % {"code": code}}
    errors: dict[str, str] = {}
    for name, value in (("amber", amber), ("red", red)):
        if value < 0:
            errors[name] = _("%(indicator)s: a threshold cannot be negative (%(value)s).") % {
                "indicator": indicator.number,
                "value": value,
            }
    problem = thresholds_problem(amber, red, indicator.higher_is_better)
    if problem == "higher":
        errors["red"] = _(
            "%(indicator)s: more is better here, so red (%(red)s) must not be above amber "
            "(%(amber)s)."
        ) % {"indicator": indicator.number, "red": red, "amber": amber}
    elif problem == "lower":
        errors["red"] = _(
            "%(indicator)s: less is better here, so red (%(red)s) must not be below amber "
            "(%(amber)s)."
        ) % {"indicator": indicator.number, "red": red, "amber": amber}
    for name, value, default in (
        ("parameter", parameter, indicator.parameter),
        ("parameter_2", parameter_2, indicator.parameter_2),
    ):
        if default is None and value is not None:
            errors[name] = _("%(indicator)s has no such parameter; leave it empty.") % {
                "indicator": indicator.number
            }
        elif value is not None and value < 0:
            errors[name] = _("%(indicator)s: a parameter cannot be negative (%(value)s).") % {
                "indicator": indicator.number,
                "value": value,
            }
    return errors


@transaction.atomic
def do_set_threshold(
    code: str,
    *,
    amber: int,
    red: int,
    parameter: int | None = None,
    parameter_2: int | None = None,
    actor: User | None = None,
) -> IndicatorThreshold:
    """Store the company's thresholds of indicator ``code`` (empty parameters: the default)."""
    errors = threshold_errors(code, amber, red, parameter, parameter_2)
    if errors:
        raise ComplianceError(" ".join(errors.values()), field=next(iter(errors)))
    row, _created = IndicatorThreshold.objects.update_or_create(
        indicator=code,
        defaults={
            "amber": amber,
            "red": red,
            "parameter": parameter,
            "parameter_2": parameter_2,
            "updated_by": actor,
        },
    )
    return row


@transaction.atomic
def do_reset_threshold(code: str) -> None:
    """Back to the defaults of the catalogue."""
    IndicatorThreshold.objects.filter(indicator=code).delete()


@transaction.atomic
def do_set_disclaimer(language: str, text: str, *, actor: User | None = None) -> DisclaimerText:
    """The disclaimer of the income disclosure statement in ``language``."""
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise ComplianceError(
            _("Language %(language)s is not offered.") % {"language": language}, field="language"
        )
    if not text.strip():
        raise ComplianceError(_("A disclaimer needs text."), field="text")
    row, _created = DisclaimerText.objects.update_or_create(
        language=language, defaults={"text": text.strip(), "updated_by": actor}
    )
    return row
