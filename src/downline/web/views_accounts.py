"""Sign-in (rate-limited), sign-out, two-factor codes for staff, e-mail confirmation, profile,
language switch and password reset."""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from downline.accounts.actions import (
    AccountError,
    do_activate_user,
    do_confirm_totp,
    do_set_language,
    do_start_totp_setup,
    do_update_profile,
)
from downline.accounts.models import User
from downline.genealogy.actions import do_update_details

from . import ratelimit
from .forms import CodeForm, LanguageForm, LoginForm, ProfileForm, ResendForm
from .language import remember_language
from .selectors import distributor_of
from .verification import read_token, send_verification_email


def account_limit() -> ratelimit.Limit:
    return ratelimit.Limit(
        "login-account",
        settings.DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT,
        settings.DOWNLINE_LOGIN_WINDOW_SECONDS,
    )


def address_limit() -> ratelimit.Limit:
    return ratelimit.Limit(
        "login-address",
        settings.DOWNLINE_LOGIN_FAILURES_PER_ADDRESS,
        settings.DOWNLINE_LOGIN_WINDOW_SECONDS,
    )


def code_limit() -> ratelimit.Limit:
    return ratelimit.Limit(
        "two-factor",
        settings.DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT,
        settings.DOWNLINE_LOGIN_WINDOW_SECONDS,
    )


def mail_limit() -> ratelimit.Limit:
    """E-mails (password reset, confirmation links) one address may ask for per window."""
    return ratelimit.Limit(
        "mail-requests",
        settings.DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT,
        settings.DOWNLINE_LOGIN_WINDOW_SECONDS,
    )


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _find_login(identifier: str) -> User | None:
    user = User.objects.filter(username__iexact=identifier).first()
    if user is None and "@" in identifier:
        user = User.objects.filter(email__iexact=identifier).order_by("id").first()
    return user


def _too_many(limit: ratelimit.Limit) -> str:
    minutes = max(1, -(-limit.seconds_left() // 60))
    return _("Too many failed attempts. Please try again in %(minutes)d minutes.") % {
        "minutes": minutes
    }


def login_view(request: HttpRequest) -> HttpResponse:
    """Sign in by username or e-mail address and password.

    Failed attempts are counted per account and per client address; at the limit sign-in is
    refused, even with the right password, until the window has passed. A login that has not
    confirmed its e-mail address is told so (only after the right password was given).
    """
    if request.user.is_authenticated:
        return redirect("web:dashboard")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["username"].strip().lower()
        address = ratelimit.client_address(request)
        per_account, per_address = account_limit(), address_limit()
        if per_account.is_blocked(identifier):
            form.add_error(None, _too_many(per_account))
        elif per_address.is_blocked(address):
            form.add_error(None, _too_many(per_address))
        else:
            found = _find_login(identifier)
            password = form.cleaned_data["password"]
            user = authenticate(
                request, username=found.username if found else identifier, password=password
            )
            if user is not None:
                per_account.reset(identifier)
                login(request, user)
                response = HttpResponseRedirect(_safe_next(request, reverse("web:dashboard")))
                remember_language(response, user.language)
                return response
            per_account.record_failure(identifier)
            per_address.record_failure(address)
            if found is not None and not found.is_active and found.check_password(password):
                form.add_error(
                    None,
                    _(
                        "Please confirm your e-mail address first: open the link we sent you. "
                        "You can ask for a new link below."
                    ),
                )
            else:
                form.add_error(None, _("The e-mail or username and password do not match."))
    return render(request, "web/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("web:login")


def two_factor_view(request: HttpRequest) -> HttpResponse:
    """Staff confirm a code from their authenticator app; the first time, they set one up.

    Wrong codes are counted like failed sign-ins (per login); django-otp also slows down a
    device after each wrong code.
    """
    if not request.user.is_authenticated:
        return redirect(f"{reverse('web:login')}?next={reverse('web:two_factor')}")
    user = request.user
    if getattr(user, "is_verified", lambda: False)():
        return redirect(_safe_next(request, reverse("web:dashboard")))
    setting_up = not user_has_device(user)
    device = None
    if setting_up:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or (
            do_start_totp_setup(user)
        )
    form = CodeForm(request.POST or None)
    limit = code_limit()
    key = f"user:{user.pk}"
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip()
        if limit.is_blocked(key):
            form.add_error(None, _too_many(limit))
        else:
            if setting_up:
                accepted = device if do_confirm_totp(device, code) else None
            else:
                accepted = match_token(user, code)
            if accepted is not None:
                limit.reset(key)
                otp_login(request, accepted)
                return redirect(_safe_next(request, reverse("web:dashboard")))
            limit.record_failure(key)
            form.add_error("code", _("That code is not right, or it has expired."))
    context = {"form": form, "setting_up": setting_up, "next": request.GET.get("next", "")}
    if setting_up:
        secret = base64.b32encode(device.bin_key).decode()
        context.update(
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            qr_data_uri=segno.make(device.config_url, error="m").svg_data_uri(scale=4),
        )
    return render(request, "web/two_factor.html", context)


def verify_email_view(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm an e-mail address from the link we sent: a new member's login becomes usable;
    a changed address replaces the old one."""
    claim = read_token(token)
    user = None if claim is None else User.objects.filter(pk=claim.user_id).first()
    if claim is None or user is None:
        return render(request, "web/verify_failed.html", status=400)
    if user.is_active and user.email.lower() == claim.email.lower():
        messages.info(request, _("Your e-mail address is already confirmed."))
        return redirect("web:login" if not request.user.is_authenticated else "web:dashboard")
    try:
        do_activate_user(user, email=claim.email)
    except AccountError as error:
        return render(request, "web/verify_failed.html", {"error": error.message}, status=400)
    member = distributor_of(user)
    if member is not None and member.email != claim.email:
        do_update_details(member, email=claim.email)
    messages.success(
        request,
        _("Thank you: your e-mail address %(email)s is confirmed.") % {"email": claim.email},
    )
    if request.user.is_authenticated:
        return redirect("web:profile")
    return redirect("web:login")


def resend_verification_view(request: HttpRequest) -> HttpResponse:
    """Send the confirmation link again to a login that waits for it. The answer is the same
    whether or not such a login exists."""
    form = ResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        limit = mail_limit()
        if not limit.is_blocked(email):
            limit.record_failure(email)
            user = User.objects.filter(email__iexact=email, is_active=False).first()
            if user is not None:
                send_verification_email(request, user, user.email)
        messages.info(
            request,
            _("If an account waits for confirmation at %(email)s, we have sent it a new link.")
            % {"email": email},
        )
        return redirect("web:login")
    return render(request, "web/resend.html", {"form": form})


def profile_view(request: HttpRequest) -> HttpResponse:
    """Name, e-mail address (changed only once the new one is confirmed) and language."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('web:login')}?next={reverse('web:profile')}")
    user = request.user
    member = distributor_of(user)
    initial = {
        "name": (member.name if member else "") or user.get_full_name(),
        "email": user.email,
        "language": user.language,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        name = " ".join(form.cleaned_data["name"].split())
        first, _space, last = name.partition(" ")
        language = form.cleaned_data["language"]
        do_update_profile(user, first_name=first, last_name=last, language=language)
        if member is not None:
            do_update_details(member, name=name, language=language)
        email = form.cleaned_data["email"].strip().lower()
        if email != user.email.lower():
            if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                form.add_error("email", _("This e-mail address is used by another login."))
                return render(request, "web/profile.html", {"form": form, "member": member})
            limit = mail_limit()
            if limit.is_blocked(email):
                form.add_error("email", _too_many(limit))
                return render(request, "web/profile.html", {"form": form, "member": member})
            limit.record_failure(email)
            send_verification_email(request, user, email)
            messages.info(
                request,
                _("We sent a link to %(email)s; your address changes once you open it.")
                % {"email": email},
            )
        remember_language(response := redirect("web:profile"), language)
        messages.success(request, _("Your profile is saved."))
        return response
    return render(request, "web/profile.html", {"form": form, "member": member})


@require_POST
def set_language_view(request: HttpRequest) -> HttpResponse:
    """Switch the language of the pages (cookie), and of the login's e-mails when signed in."""
    form = LanguageForm(request.POST)
    fallback = reverse("web:dashboard") if request.user.is_authenticated else reverse("web:login")
    response = HttpResponseRedirect(_safe_next(request, fallback))
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            do_set_language(request.user, language)
            member = distributor_of(request.user)
            if member is not None:
                do_update_details(member, language=language)
        remember_language(response, language)
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail, limited per address asked for, silent about unknown ones."""

    template_name = "web/password_reset.html"
    email_template_name = "web/emails/password_reset_body.txt"
    subject_template_name = "web/emails/password_reset_subject.txt"
    success_url = reverse_lazy("web:password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        limit = mail_limit()
        if limit.is_blocked(email):
            return HttpResponseRedirect(self.get_success_url())
        limit.record_failure(email)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "web/password_reset_complete.html"
