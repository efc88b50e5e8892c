"""The console page of API keys (admin role): the keys with their prefix, scopes, expiry and
last use; make a key (its token is shown on the answer, once); revoke a key. And the back
office page where a distributor makes and revokes their personal tokens."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from downline.genealogy.models import Distributor
from downline.web.access import member_required
from downline.web.roles import console_required

from .actions import (
    ApiKeyError,
    do_create_api_key,
    do_create_personal_token,
    do_revoke_api_key,
)
from .forms import ApiKeyForm, PersonalTokenForm
from .models import ApiKey

CAPABILITY = "api_keys"
TEMPLATE = "api/keys.html"
TOKENS_TEMPLATE = "api/tokens.html"


def _keys():
    return ApiKey.objects.select_related("member", "created_by").order_by("-id")[:500]


@console_required(CAPABILITY)
def keys_view(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    context: dict = {"form": form, "keys": _keys()}
    if request.method != "POST":
        return render(request, TEMPLATE, context)
    if form.is_valid():
        try:
            issued = do_create_api_key(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.cleaned_data["expires_at"],
                created_by=request.user,
            )
        except ApiKeyError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            context.update(created=issued.key, token=issued.token, form=ApiKeyForm(), keys=_keys())
            response = render(request, TEMPLATE, context)
            response["Cache-Control"] = "no-store"
            return response
    return render(request, TEMPLATE, context, status=400)


@require_POST
@console_required(CAPABILITY)
def revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=pk)
    do_revoke_api_key(key)
    messages.success(request, _("Key %(prefix)s… revoked.") % {"prefix": key.prefix})
    return redirect("api:keys")


# --------------------------------------------------------------------------- back office


@member_required
def tokens_view(request: HttpRequest, member: Distributor) -> HttpResponse:
    """A distributor's personal tokens: read-only access to what their back office shows."""
    form = PersonalTokenForm(request.POST or None)
    tokens = ApiKey.objects.filter(member=member).order_by("-id")
    context: dict = {"form": form, "tokens": tokens, "member": member}
    if request.method != "POST":
        return render(request, TOKENS_TEMPLATE, context)
    if form.is_valid():
        try:
            issued = do_create_personal_token(
                member, name=form.cleaned_data["name"], expires_at=form.cleaned_data["expires_at"]
            )
        except ApiKeyError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            context.update(created=issued.key, token=issued.token, form=PersonalTokenForm())
            response = render(request, TOKENS_TEMPLATE, context)
            response["Cache-Control"] = "no-store"
            return response
    return render(request, TOKENS_TEMPLATE, context, status=400)


@require_POST
@member_required
def token_revoke_view(request: HttpRequest, member: Distributor, pk: int) -> HttpResponse:
    """Revoke one of the member's own tokens (anyone else's: 404)."""
    key = get_object_or_404(ApiKey, pk=pk, member=member)
    do_revoke_api_key(key)
    messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": key.prefix})
    return redirect("api_tokens:tokens")
