"""Public pages of outreach: capture pages, unsubscribing, bounces, webinar registration, blog.

Nobody signs in here. Forms carry a honeypot field (``website``, hidden from people) and each
client address has a sign-up rate limit (``pages.rate_limited``). An anonymous visitor's
``GET`` of a capture page is answered from the shared cache (``outreach.page_cache``) without
a database query; the visit is counted in the cache (``outreach.visits``).
"""

from __future__ import annotations

import copy
import hmac
import json
import logging
from datetime import timedelta

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import page_cache, pages, visits
from .mail import do_suppress, mail_for_token
from .models import Article, Page, PageTemplate, Registration, Suppression, Webinar, pick

logger = logging.getLogger(__name__)

REF_COOKIE = "dl_ref"
REF_AGE = 30 * 24 * 3600


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def visitor_language(request) -> str:
    language = translation.get_language() or "en"
    return language[:2] if language[:2] in ("en", "ru", "pl", "de") else "en"


class SignUpForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100)
    email = forms.EmailField(label=gettext_lazy("E-mail"))
    consent = forms.BooleanField(label=gettext_lazy("I agree"), required=True)
    tz = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


def _anonymous_get(request: HttpRequest) -> bool:
    """A ``GET`` that every anonymous visitor sees the same way: no session (so no login and
    no session messages) and no message cookie."""
    from django.contrib.messages.storage.cookie import CookieStorage

    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _render_for_anyone(request: HttpRequest, slug: str, language: str, variant: str) -> str:
    """The page as an anonymous visitor gets it, with the CSRF token and the request's path
    left as markers (``page_cache.CSRF_MARK``, ``page_cache.PATH_MARK``)."""
    page = pages.page_for(slug)
    if page is None:
        raise Http404
    anyone = copy.copy(request)
    anyone.path = page_cache.PATH_MARK
    anyone.META = {**request.META, "QUERY_STRING": ""}
    with translation.override(language):
        return render(
            anyone,
            "outreach/page.html",
            {
                "page": page,
                "body": pages.rendered_body(page, language, variant),
                "form": SignUpForm(),
                "done": False,
                "consent": pages.consent_text(page, language),
                "csrf_token": page_cache.CSRF_MARK,
            },
        ).content.decode()


def _cached_page(request: HttpRequest, slug: str) -> HttpResponse | None:
    """The anonymous ``GET`` from the cache, the visit counted; ``None``: no live page."""
    language = visitor_language(request)
    cached = page_cache.CachedPage(slug, language)
    snapshot = cached.snapshot()
    if snapshot is None:
        return None
    cookie = f"dl_v{snapshot['pk']}"
    chosen = request.COOKIES.get(cookie)
    variant = pages.pick_variant(snapshot["has_b"], chosen)
    html = cached.html(
        snapshot, variant, lambda: _render_for_anyone(request, slug, language, variant)
    )
    html = html.replace(page_cache.CSRF_MARK, get_token(request)).replace(
        page_cache.PATH_MARK, escape(request.get_full_path())
    )
    visits.count_visit(snapshot["pk"], variant)
    response = HttpResponse(html)
    response.set_cookie(cookie, variant, max_age=REF_AGE, samesite="Lax")
    return response


@require_http_methods(["GET", "POST"])
def page_view(request, slug: str):
    if _anonymous_get(request):
        response = _cached_page(request, slug)
        if response is None:
            raise Http404
        return response
    page = pages.page_for(slug)
    if page is None:
        raise Http404
    language = visitor_language(request)
    cookie = f"dl_v{page.pk}"
    variant = pages.choose_variant(page, request.COOKIES.get(cookie))
    done = False
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        if pages.rate_limited(client_address(request)):
            form.add_error(None, _("Too many sign-ups from your address. Try again later."))
        elif form.is_valid():
            if not request.POST.get("website"):  # a bot filled the honeypot: say thanks only
                pages.do_capture(
                    page,
                    email=form.cleaned_data["email"],
                    first_name=form.cleaned_data["first_name"],
                    language=language,
                    variant=variant,
                    ref=request.COOKIES.get(REF_COOKIE, "")[:80],
                    address=client_address(request),
                    time_zone=form.cleaned_data["tz"],
                )
            done = True
    else:
        pages.record_visit(page, variant)
    response = render(
        request,
        "outreach/page.html",
        {
            "page": page,
            "body": pages.rendered_body(page, language, variant),
            "form": form,
            "done": done,
            "consent": pages.consent_text(page, language),
        },
        status=429 if form.non_field_errors() and request.method == "POST" else 200,
    )
    response.set_cookie(cookie, variant, max_age=REF_AGE, samesite="Lax")
    return response


def page_photo(request, slug: str):
    page = get_object_or_404(Page.objects.only("photo", "photo_type"), slug=slug)
    if not page.photo:
        raise Http404
    response = HttpResponse(bytes(page.photo), content_type=page.photo_type or "image/jpeg")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def page_qr(request, slug: str, kind: str):
    page = get_object_or_404(Page.objects.only("slug"), slug=slug)
    data = pages.qr_code(pages.page_url(page), kind)
    content_type = "image/png" if kind == "png" else "image/svg+xml"
    response = HttpResponse(data, content_type=content_type)
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{page.slug}.{kind}"'
    return response


def ebook(request, key: str):
    template = get_object_or_404(PageTemplate, key=key, active=True)
    if not template.ebook:
        raise Http404
    response = HttpResponse(bytes(template.ebook), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{template.ebook_name or key}"'
    return response


def template_video(request, key: str):
    template = get_object_or_404(PageTemplate, key=key, active=True)
    if not template.video_file:
        raise Http404
    return HttpResponse(bytes(template.video_file), content_type=template.video_type or "video/mp4")


# --------------------------------------------------------------------------- unsubscribe


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    mail = mail_for_token(token)
    if mail is None:
        raise Http404
    done = False
    if request.method == "POST":
        from .actions import do_unsubscribe_address

        do_unsubscribe_address(mail.to_email, contact_id=mail.contact_id)
        done = True
    with translation.override(mail.language):
        response = render(
            request,
            "outreach/unsubscribe.html",
            {"mail": mail, "done": done, "masked": _mask(mail.to_email)},
        )
    return response


def _mask(email: str) -> str:
    local, _sep, domain = email.partition("@")
    return f"{local[:2]}…@{domain}"


@csrf_exempt
@require_POST
def bounce(request):
    """A plain bounce/complaint endpoint for mail servers without an anymail integration:
    ``POST {"email": "...", "type": "bounce"|"complaint", "detail": "..."}`` with header
    ``X-Downline-Token: <DOWNLINE_BOUNCE_SECRET>``. Unset secret: the endpoint does not exist."""
    secret = getattr(settings, "DOWNLINE_BOUNCE_SECRET", "")
    if not secret:
        raise Http404
    if not hmac.compare_digest(request.headers.get("X-Downline-Token", ""), secret):
        return JsonResponse({"error": "bad token"}, status=403)
    try:
        data = json.loads(request.body or b"{}")
        email = str(data["email"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "body must be JSON with an 'email' field"}, status=400)
    kind = data.get("type", "bounce")
    if kind not in ("bounce", "complaint"):
        return JsonResponse({"error": "type must be 'bounce' or 'complaint'"}, status=400)
    reason = Suppression.Reason.BOUNCE if kind == "bounce" else Suppression.Reason.COMPLAINT
    do_suppress(email, reason, str(data.get("detail", "")))
    if kind == "complaint":
        from .actions import do_unsubscribe_address

        do_unsubscribe_address(email, reason="complaint")
    return JsonResponse({"suppressed": email.strip().lower()})


def referral(request, slug: str):
    """A short share link: remember the distributor and go to their page."""
    response = redirect("outreach:page", slug=slug)
    response.set_cookie(REF_COOKIE, slug, max_age=REF_AGE, samesite="Lax")
    return response


# --------------------------------------------------------------------------- webinars


class RegisterForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=100)
    email = forms.EmailField(label=gettext_lazy("E-mail"))
    consent = forms.BooleanField(label=gettext_lazy("I agree"), required=True)
    tz = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


def webinar_consent(owner_name: str) -> str:
    return _(
        "I agree that %(name)s may send me the invitation, reminders and follow-up e-mails. "
        "I can unsubscribe at any time with one click."
    ) % {"name": owner_name}


@require_http_methods(["GET", "POST"])
def webinar_register(request, webinar_id: int, slug: str):
    from django.core.exceptions import ValidationError

    from .webinars import do_register, join_link, next_session

    webinar = get_object_or_404(Webinar, pk=webinar_id)
    page = get_object_or_404(Page.objects.select_related("owner"), slug=slug)
    language = visitor_language(request)
    session = next_session(webinar)
    consent = webinar_consent(page.display_name)
    form = RegisterForm(request.POST or None)
    registration = None
    if request.method == "POST" and session is not None:
        if pages.rate_limited(client_address(request)):
            form.add_error(None, _("Too many sign-ups from your address. Try again later."))
        elif form.is_valid() and not request.POST.get("website"):
            try:
                registration = do_register(
                    webinar,
                    page.owner,
                    email=form.cleaned_data["email"],
                    name=form.cleaned_data["name"],
                    language=language,
                    time_zone=form.cleaned_data["tz"],
                    consent_text=consent,
                    address=client_address(request),
                )
            except ValidationError as error:
                form.add_error(None, error)
    return render(
        request,
        "outreach/webinar_register.html",
        {
            "webinar": webinar,
            "title": webinar.title(language),
            "description": pages.markdown(pick(webinar.content, language, "description")),
            "page": page,
            "session": session,
            "form": form,
            "consent": consent,
            "registration": registration,
            "join": join_link(registration) if registration else "",
        },
    )


def webinar_ics(request, token: str):
    from .webinars import ics

    registration = get_object_or_404(Registration.objects.select_related("webinar"), token=token)
    response = HttpResponse(ics(registration), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="webinar.ics"'
    return response


def webinar_join(request, token: str):
    from django.utils import timezone

    from .webinars import do_join

    registration = get_object_or_404(Registration.objects.select_related("webinar"), token=token)
    webinar = registration.webinar
    now = timezone.now()
    end = registration.session_at + timedelta(minutes=webinar.duration_minutes)
    if now < registration.session_at - timedelta(minutes=30):
        state = "early"
    elif now > end:
        state = "over"
    else:
        try:
            target = do_join(registration, now)
            if target:
                return redirect(target)
            state = "unavailable"
        except Exception as error:  # the video server is down: say so, do not crash
            logger.warning("joining webinar %s failed: %s", webinar.pk, error)
            state = "unavailable"
    return render(
        request,
        "outreach/webinar_join.html",
        {
            "registration": registration,
            "webinar": webinar,
            "title": webinar.title(registration.language),
            "state": state,
        },
    )


# --------------------------------------------------------------------------- blog


def blog(request):
    from django.utils import timezone

    language = visitor_language(request)
    articles = Article.objects.filter(published_at__lte=timezone.now()).order_by("-published_at")
    ref = request.GET.get("ref", "")
    rows = [
        {
            "slug": a.slug,
            "title": a.title(language),
            "summary": pick(a.content, language, "summary"),
            "published_at": a.published_at,
        }
        for a in articles[:50]
    ]
    response = render(request, "outreach/blog.html", {"articles": rows, "ref": ref})
    _remember_ref(response, ref)
    return response


def article(request, slug: str):
    from django.utils import timezone

    language = visitor_language(request)
    item = get_object_or_404(Article, slug=slug, published_at__lte=timezone.now())
    ref = request.GET.get("ref", "") or request.COOKIES.get(REF_COOKIE, "")
    referrer = Page.objects.filter(slug=ref).only("slug", "display_name").first() if ref else None
    response = render(
        request,
        "outreach/article.html",
        {
            "article": item,
            "title": item.title(language),
            "body": pages.markdown(pick(item.content, language, "body")),
            "referrer": referrer,
        },
    )
    _remember_ref(response, request.GET.get("ref", ""))
    return response


def _remember_ref(response, ref: str) -> None:
    if ref and Page.objects.filter(slug=ref).exists():
        response.set_cookie(REF_COOKIE, ref[:80], max_age=REF_AGE, samesite="Lax")
