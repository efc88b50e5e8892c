"""Reading one refund from a WooCommerce shop's REST API.

``GET {woo_base_url}/wp-json/wc/v3/orders/{order id}/refunds/{refund id}`` with HTTP Basic
authentication (consumer key as the user, consumer secret as the password; WooCommerce accepts
Basic authentication over HTTPS, and a read-only key is enough). Rules:

- the address must be ``https://`` (``models.is_allowed_rest_url``; plain ``http://`` only for
  a stand-in on 127.0.0.1/localhost);
- the connection goes through the server's guard against server-side request forgery
  (``downline.core.outbound``: public addresses only, connect to the address checked,
  no proxy); a redirect is not followed (it would carry the credentials elsewhere) and counts as
  a failure;
- an answer other than 200 with a JSON object, a refused address, a timeout (``TIMEOUT``
  seconds) or any other network error raises ``RestUnavailable``, which the caller retries;
- the consumer secret appears in no message and no log line.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from django.utils.translation import gettext as _

from downline.core.outbound import opener

from .models import Shop, is_allowed_rest_url

TIMEOUT = 10.0  # seconds to wait for the shop's answer
MAX_BODY = 1_000_000  # bytes of an answer read at most
USER_AGENT = "Downline-Shops/1"


class RestUnavailable(Exception):
    """The shop's REST API gave no usable answer this time; the message says why (without
    the credentials)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the Authorization header must not follow a redirect


_opener = opener(_NoRedirects)


def refund_url(shop: Shop, order_id: str, refund_id: str) -> str:
    base = shop.woo_base_url.rstrip("/")
    return (
        f"{base}/wp-json/wc/v3/orders/{quote(order_id, safe='')}/refunds/"
        f"{quote(refund_id, safe='')}"
    )


def _authorization(shop: Shop) -> str:
    pair = f"{shop.woo_consumer_key}:{shop.woo_consumer_secret}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def fetch_refund(shop: Shop, order_id: str, refund_id: str) -> dict[str, Any]:
    """The refund resource of ``refund_id`` of shop order ``order_id``, decoded; raises
    ``RestUnavailable`` for anything but a 200 answer with a JSON object."""
    url = refund_url(shop, order_id, refund_id)
    if not is_allowed_rest_url(url):
        raise RestUnavailable(
            _("The store address of shop %(shop)s must start with https://.") % {"shop": shop.slug}
        )
    request = urllib.request.Request(
        url,
        method="GET",
        headers={
            "accept": "application/json",
            "user-agent": USER_AGENT,
            "authorization": _authorization(shop),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            status, raw = response.status, response.read(MAX_BODY)
    except urllib.error.HTTPError as failure:
        failure.close()
        raise RestUnavailable(
            _("%(url)s answered HTTP %(code)s.") % {"url": url, "code": failure.code}
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as failure:
        reason = getattr(failure, "reason", failure)
        raise RestUnavailable(
            _("%(url)s could not be read: %(error)s.")
            % {"url": url, "error": f"{type(failure).__name__}: {reason}"[:300]}
        ) from None
    if status != 200:
        raise RestUnavailable(_("%(url)s answered HTTP %(code)s.") % {"url": url, "code": status})
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise RestUnavailable(_("%(url)s did not answer JSON.") % {"url": url}) from None
    if not isinstance(document, dict):
        raise RestUnavailable(_("%(url)s did not answer a JSON object.") % {"url": url})
    return document
