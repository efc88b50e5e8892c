"""The public REST API, version 1, mounted at ``/api/v1/``.

One ``NinjaAPI`` object; each resource is a router in ``downline.api.routers`` (the webhooks
and shop apps add their own with ``api.add_router``). The OpenAPI 3.1 document is at
``/api/v1/openapi.json`` and its reference page at ``/api/v1/docs`` (Swagger UI from ninja's
bundled static files, ``ninja`` being an installed app: nothing is loaded from another host).

Every operation's document lists, besides its success answers, the problem answers it may give
(``errors``), each as ``application/problem+json`` with the ``Problem`` schema.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from . import errors
from .auth import KeyAuth

PROBLEM_STATUSES = {
    "400": "Bad request (e.g. a NUL character in the path or query).",
    "401": "Unauthenticated: no token, or an unknown, expired or revoked one.",
    "403": "The key lacks the scope this operation needs.",
    "404": "Not found, or not visible to this token.",
    "409": "Refused by a business rule as things stand.",
    "422": "Invalid input; errors name the fields.",
    "429": "Rate limit reached; see Retry-After.",
}


class DownlineApi(NinjaAPI):
    """``NinjaAPI`` whose document declares the problem answers of every operation."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any):
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = errors.Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem.pop("$defs", {}))
        components["Problem"] = problem
        content = {
            errors.PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                for status, description in PROBLEM_STATUSES.items():
                    responses[status] = {"description": description, "content": content}
        return schema


api = DownlineApi(
    title="Downline API",
    version="1",
    description=(
        "The public, versioned REST API of Downline. Authenticate with "
        "`Authorization: Bearer <token>` (an integration key or a distributor's personal "
        "token). Errors are RFC 9457 problem details. See docs/api.md."
    ),
    urls_namespace="api-v1",
    docs=Swagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=KeyAuth(),
)
errors.install(api)


def _add_routers() -> None:
    from .routers import academy, contacts, members, money, orders, periods, products

    api.add_router("/members", members.router, tags=["members"])
    api.add_router("/products", products.router, tags=["products"])
    api.add_router("/orders", orders.router, tags=["orders"])
    api.add_router("/periods", periods.router, tags=["periods"])
    api.add_router("/", money.router, tags=["money"])
    api.add_router("/contacts", contacts.router, tags=["contacts"])
    api.add_router("/academy", academy.router, tags=["academy"])


_add_routers()

# Other apps add their routers below with one line each, e.g.
# ``api.add_router("/webhooks", webhooks_router, tags=["webhooks"])``. The URL patterns are
# built from ``api.urls`` when downline/urls.py is loaded, after every router is added.
