"""The claim scanner's review queue in the console (capability ``claims_review``).

* ``claims_queue``: the texts the scanner held, pending first (or by status), each with its
  author, source and findings.
* ``claims_review``: one text with its findings highlighted; approve or reject it with a reason
  (``claims.do_review_claim``, which records the event ``claim.reviewed``).

Staff without a confirmed one-time code get 404, staff of another role 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from downline.accounts.console import console_required

from .claims import CATEGORY_LABELS, DISCLOSURE_LABELS, VERDICT_LABELS, do_review_claim, highlight
from .models import ClaimReview

CAPABILITY = "claims_review"
PAGE_SIZE = 50


@console_required(CAPABILITY)
def claims_queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", ClaimReview.Status.PENDING)
    if status not in ClaimReview.Status.values:
        status = ClaimReview.Status.PENDING
    reviews = ClaimReview.objects.filter(status=status).select_related("author")
    reviews = (
        reviews.order_by("created_at", "pk")
        if status == "pending"
        else reviews.order_by("-decided_at", "-pk")
    )
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    for review in page:
        review.categories = sorted(
            {str(CATEGORY_LABELS.get(f["category"], f["category"])) for f in review.findings}
        )
        review.excerpt = review.text[:160]
    return render(
        request,
        "compliance/claims_queue.html",
        {
            "page": page,
            "status": status,
            "statuses": ClaimReview.Status.choices,
            "pending_count": ClaimReview.objects.filter(status="pending").count(),
        },
    )


@console_required(CAPABILITY)
@require_http_methods(["GET", "POST"])
def claims_review(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(ClaimReview.objects.select_related("author", "decided_by"), pk=pk)
    error = None
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        try:
            do_review_claim(
                review, decision=decision, reason=request.POST.get("reason", ""), by=request.user
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _("The text was approved.")
                if decision == "approved"
                else _("The text was rejected."),
            )
            return redirect("compliance:claims_queue")
    findings = []
    for f in review.findings:
        item = dict(f)
        item["category_label"] = str(CATEGORY_LABELS.get(f["category"], f["category"]))
        item["disclosure_label"] = (
            str(DISCLOSURE_LABELS.get(f["disclosure"], f["disclosure"]))
            if f.get("disclosure")
            else ""
        )
        findings.append(item)
    return render(
        request,
        "compliance/claims_review.html",
        {
            "review": review,
            "segments": highlight(review.text, review.findings),
            "findings": findings,
            "verdict_label": VERDICT_LABELS.get(review.verdict, review.verdict),
            "error": error,
            "reason": request.POST.get("reason", "") if request.method == "POST" else "",
        },
        status=400 if error else 200,
    )
