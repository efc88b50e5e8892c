"""Console pages of the webhooks (admin role): subscriptions, the delivery log, replay."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from downline.web.pagination import page_number
from downline.web.roles import console_required

from .actions import (
    WebhookError,
    do_create_subscription,
    do_disable_subscription,
    do_enable_subscription,
    do_replay_delivery,
)
from .delivery import body_of, message_id
from .forms import DeliveryFilterForm, SubscriptionForm
from .models import Delivery, Subscription

CAPABILITY = "webhooks"
PAGE_SIZE = 50


def _subscriptions():
    return Subscription.objects.annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
    ).order_by("id")


@console_required(CAPABILITY)
def subscriptions_view(request: HttpRequest) -> HttpResponse:
    """The endpoints, and a form for a new one; its secret is shown on the answer, once."""
    form = SubscriptionForm(request.POST or None)
    context: dict = {"form": form, "subscriptions": _subscriptions()}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                subscription, secret = do_create_subscription(
                    url=form.cleaned_data["url"],
                    kinds=form.cleaned_data["kinds"],
                    description=form.cleaned_data["description"],
                    actor=request.user,
                )
            except WebhookError as error:
                form.add_error(None, str(error))
            else:
                context.update(
                    created=subscription,
                    secret=secret,
                    form=SubscriptionForm(),
                    subscriptions=_subscriptions(),
                )
                response = render(request, "webhooks/subscriptions.html", context)
                response["Cache-Control"] = "no-store"
                return response
        status = 400
    return render(request, "webhooks/subscriptions.html", context, status=status)


@require_POST
@console_required(CAPABILITY)
def disable_view(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    try:
        do_disable_subscription(subscription, actor=request.user)
    except WebhookError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(url)s disabled.") % {"url": subscription.url})
    return redirect("webhooks:subscriptions")


@require_POST
@console_required(CAPABILITY)
def enable_view(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    try:
        do_enable_subscription(subscription, actor=request.user)
    except WebhookError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(url)s enabled.") % {"url": subscription.url})
    return redirect("webhooks:subscriptions")


@console_required(CAPABILITY)
def deliveries_view(request: HttpRequest) -> HttpResponse:
    """The delivery log, newest first, filtered by endpoint and status."""
    form = DeliveryFilterForm(request.GET or None)
    deliveries = Delivery.objects.select_related("event", "subscription").order_by("-id")
    if form.is_valid():
        if form.cleaned_data["subscription"] is not None:
            deliveries = deliveries.filter(subscription=form.cleaned_data["subscription"])
        if form.cleaned_data["status"]:
            deliveries = deliveries.filter(status=form.cleaned_data["status"])
    page = Paginator(deliveries, PAGE_SIZE).get_page(page_number(request))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "webhooks/deliveries.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@console_required(CAPABILITY)
def delivery_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One delivery: the body sent, every attempt with its answer, replay."""
    delivery = get_object_or_404(
        Delivery.objects.select_related("event", "subscription", "replay_of"), pk=pk
    )
    return render(
        request,
        "webhooks/delivery.html",
        {
            "delivery": delivery,
            "attempts": delivery.log.order_by("number"),
            "message_id": message_id(delivery.event),
            "body": body_of(delivery.event).decode(),
        },
    )


@require_POST
@console_required(CAPABILITY)
def replay_view(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery, pk=pk)
    try:
        replay = do_replay_delivery(delivery, actor=request.user)
    except WebhookError as error:
        messages.error(request, str(error))
        return redirect("webhooks:delivery", delivery.pk)
    messages.success(
        request, _("Event %(event)s queued again.") % {"event": message_id(delivery.event)}
    )
    return redirect("webhooks:delivery", replay.pk)
