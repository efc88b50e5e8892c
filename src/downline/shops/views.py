"""The webhook endpoints the shops post their orders to: ``/shops/<kind>/<shop>/``.

The view checks the shop, the signature (401 when it is wrong) and the JSON body (400), reads
the events the topic and body mean, and applies them with ``actions.do_receive_event``. A
refused event (unknown SKU, a closed period, ...) answers 422; every answer that is not a 2xx
is an RFC 9457 problem-details body naming the field where one is to blame. A 2xx answer lists
what became of each event, so the shop's delivery log shows it.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .actions import do_receive_event
from .errors import ShopError
from .models import Shop, ShopKind
from .payloads import read_shopify, read_woocommerce
from .signatures import SIGNATURE_HEADERS, TOPIC_HEADERS, is_signed

logger = logging.getLogger(__name__)

READERS = {ShopKind.SHOPIFY: read_shopify, ShopKind.WOOCOMMERCE: read_woocommerce}
WOOCOMMERCE_PING = re.compile(rb"webhook_id=\d+")
"""WooCommerce checks a new webhook's URL with an unsigned form post of its id."""


def problem(
    request: HttpRequest, status: int, title: str, detail: str, *, code: str, field: str | None
) -> JsonResponse:
    """An RFC 9457 problem-details answer (``application/problem+json``)."""
    body: dict[str, Any] = {
        "type": f"urn:downline:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if field:
        body["field"] = field
    return JsonResponse(body, status=status, content_type="application/problem+json")


@csrf_exempt
@require_POST
def shop_webhook(request: HttpRequest, kind: str, slug: str) -> JsonResponse:
    """Receive one order webhook of shop ``slug`` (see the module docstring)."""
    shop = (
        Shop.objects.filter(kind=kind, slug=slug, active=True)
        .select_related("default_referrer")
        .first()
    )
    if shop is None:
        return problem(
            request,
            404,
            _("Unknown shop"),
            _("No active %(kind)s shop is called %(shop)s.") % {"kind": kind, "shop": slug},
            code="unknown_shop",
            field=None,
        )
    body = request.body
    topic = request.headers.get(TOPIC_HEADERS[shop.kind], "").strip()
    if shop.kind == ShopKind.WOOCOMMERCE and not topic and WOOCOMMERCE_PING.fullmatch(body):
        return JsonResponse({"status": "ping"})
    signature_header = SIGNATURE_HEADERS[shop.kind]
    if not is_signed(shop.webhook_secret, body, request.headers.get(signature_header)):
        return problem(
            request,
            401,
            _("Bad signature"),
            _(
                "The %(header)s header is not the signature of this body with the secret of shop %(shop)s."
            )
            % {"header": signature_header, "shop": shop.slug},
            code="bad_signature",
            field=signature_header,
        )
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        return problem(
            request,
            400,
            _("Body is not JSON"),
            _("The body is not JSON: %(error)s.") % {"error": error},
            code="bad_json",
            field=None,
        )
    if not isinstance(payload, dict):
        return problem(
            request,
            400,
            _("Body is not an object"),
            _("The body must be a JSON object."),
            code="bad_json",
            field=None,
        )
    try:
        events = READERS[shop.kind](topic, payload)
        results = [do_receive_event(shop, event, topic=topic) for event in events]
    except ShopError as error:
        logger.warning("shop %s, topic %s: refused: %s", shop.slug, topic, error)
        return problem(
            request,
            422,
            _("Shop order refused"),
            str(error),
            code=error.code,
            field=error.field,
        )
    return JsonResponse(
        {
            "results": [
                {"status": str(result.status), "order": result.order, "message": result.message}
                for result in results
            ]
        }
    )
