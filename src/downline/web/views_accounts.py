"""Sign-in (rate-limited), sign-out, two-factor codes for staff, e-mail confirmation, profile,
language switch and password reset.

Sign-in limits (docs/web.md, "Security model"): failures are counted in the shared cache
(``ratelimit``) per account, keyed by the login's id (so its username and its e-mail address
count together; typed text, normalised, only when no login matches), and per client address.
An address over its limit is refused until its window ends. An account over its limit is never
locked: it is slowed down (one attempt per growing delay, "try again in N s"), and its owner
may sign in at once with password and a code from their authenticator; a staff login with an
authenticator, once slowed down, signs in only that way.
"""

from __future__ import annotations

import base64
import logging
import unicodedata
from dataclasses import dataclass

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
    do_confirm_email,
    do_confirm_totp,
    do_set_language,
    do_start_totp_setup,
    do_update_profile,
)
from downline.accounts.models import User
from downline.genealogy.access import distributor_of
from downline.genealogy.actions import do_update_details

from . import ratelimit
from .access import landing_url
from .forms import CodeForm, LanguageForm, LoginForm, ProfileForm, ResendForm
from .language import remember_language
from .verification import (
    read_token,
    send_address_change_requested_notice,
    send_address_changed_notice,
    send_address_in_use_notice,
    send_verification_email,
)

security_log = logging.getLogger("downline.security")


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


def account_gate() -> ratelimit.Gate:
    """The slow-down of an account over its limit (``DOWNLINE_LOGIN_MAX_DELAY_SECONDS`` cap)."""
    return ratelimit.Gate(
        "login-account",
        settings.DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT,
        settings.DOWNLINE_LOGIN_MAX_DELAY_SECONDS,
    )


def login_code_limit() -> ratelimit.Limit:
    """Sign-ins with password and code on a slowed-down account, per account and address."""
    return ratelimit.Limit(
        "login-code",
        settings.DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT,
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


def _normalised(identifier: str) -> str:
    """What was typed, as one key: Unicode NFKC, trimmed, case-folded."""
    return unicodedata.normalize("NFKC", identifier).strip().casefold()


def _find_login(identifier: str) -> User | None:
    user = User.objects.filter(username__iexact=identifier).first()
    if user is None and "@" in identifier:
        user = User.objects.filter(email__iexact=identifier).order_by("id").first()
    return user


def account_key(identifier: str, found: User | None) -> str:
    """The key an account's failed sign-ins count under: the login's id when the typed name or
    address belongs to a login (username and e-mail address count together), else the typed
    text, normalised."""
    if found is not None:
        return f"user:{found.pk}"
    return f"name:{_normalised(identifier)}"


def _too_many(limit: ratelimit.Limit) -> str:
    minutes = max(1, -(-limit.seconds_left() // 60))
    return _("Too many failed attempts. Please try again in %(minutes)d minutes.") % {
        "minutes": minutes
    }


def _slowed(seconds: int) -> str:
    return _(
        "Too many failed attempts for this account. Please try again in %(seconds)d s. If you "
        "use an authenticator app, you can sign in now with your password and its code."
    ) % {"seconds": seconds}


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in attempt was refused; ``offer_code``: show the authenticator code field."""

    message: str
    offer_code: bool = False


def _password_login(request: HttpRequest, found: User | None, identifier: str, password: str):
    """The active login whose password this is, or ``None``."""
    return authenticate(
        request, username=found.username if found else identifier, password=password
    )


def _fail(request: HttpRequest, key: str, address: str) -> Refusal:
    """Count a failed attempt for the account and the address; slow the account down once it
    is over its limit."""
    failures = account_limit().record_failure(key)
    address_limit().record_failure(address)
    delay = account_gate().close(key, failures)
    if delay:
        security_log.warning(
            "sign-in slowed down: %s after %d failures (last from %s), next in %d s",
            key,
            failures,
            address,
            delay,
        )
        return Refusal(_slowed(delay), offer_code=True)
    return Refusal(_("The e-mail or username and password do not match."))


def _signed_in(request: HttpRequest, user: User, key: str, device=None) -> User:
    account_limit().reset(key)
    account_gate().open(key)
    login(request, user)
    if device is not None:
        otp_login(request, device)
    return user


def attempt_sign_in(
    request: HttpRequest, identifier: str, password: str, code: str = ""
) -> User | Refusal:
    """Check one sign-in attempt against the limits, then the password (and code).

    1. An address over its limit is refused until its window ends.
    2. Below the account's limit the password decides; a login whose e-mail address is not
       confirmed is told so (only after the right password), without counting a failure.
    3. Over the account's limit the account is slowed down, never locked: one attempt passes
       per delay (doubling, capped); a staff login with an authenticator then needs its code
       as well. With a code, an attempt skips the delay: it succeeds only when password and
       code are both right (the code is checked only after the right password, so guessing
       cannot throttle the owner's authenticator), limited per account and address.
    """
    address = ratelimit.client_address(request)
    per_address = address_limit()
    if per_address.is_blocked(address):
        return Refusal(_too_many(per_address))
    found = _find_login(identifier)
    key = account_key(identifier, found)
    failures = account_limit().failures(key)
    slowed = failures >= settings.DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT
    if slowed and code:
        pair_limit, pair = login_code_limit(), f"{key}|{address}"
        if pair_limit.is_blocked(pair):
            return Refusal(_too_many(pair_limit), offer_code=True)
        user = _password_login(request, found, identifier, password)
        device = match_token(user, code) if user is not None else None
        if user is not None and device is not None and user.email_verified:
            return _signed_in(request, user, key, device)
        pair_limit.record_failure(pair)
        return _fail(request, key, address)
    if slowed:
        wait = account_gate().enter(key, failures)
        if wait:
            return Refusal(_slowed(wait), offer_code=True)
    user = _password_login(request, found, identifier, password)
    if user is not None and not (slowed and user.is_staff and user_has_device(user)):
        if not user.email_verified:
            return Refusal(
                _(
                    "Please confirm your e-mail address first: open the link we sent you. "
                    "You can ask for a new link below."
                )
            )
        return _signed_in(request, user, key)
    return _fail(request, key, address)


def login_view(request: HttpRequest) -> HttpResponse:
    """Sign in by username or e-mail address and password, within the limits of
    ``attempt_sign_in``."""
    if request.user.is_authenticated:
        return redirect(landing_url(request.user))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = attempt_sign_in(
            request,
            form.cleaned_data["username"].strip(),
            form.cleaned_data["password"],
            (form.cleaned_data.get("code") or "").strip(),
        )
        if isinstance(outcome, User):
            response = HttpResponseRedirect(_safe_next(request, landing_url(outcome)))
            remember_language(response, outcome.language)
            return response
        form.add_error(None, outcome.message)
        if outcome.offer_code:
            form.offer_code()
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
        return redirect(_safe_next(request, landing_url(user)))
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
                address = ratelimit.client_address(request)
                accepted = device if do_confirm_totp(device, code, address=address) else None
            else:
                accepted = match_token(user, code)
            if accepted is not None:
                limit.reset(key)
                otp_login(request, accepted)
                return redirect(_safe_next(request, landing_url(user)))
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
    """Confirm an e-mail address from the link we sent: the address is marked confirmed (a new
    member may then sign in; a changed address replaces the old one, which is told so). Nothing
    else changes: a deactivated login stays deactivated."""
    claim = read_token(token)
    user = None if claim is None else User.objects.filter(pk=claim.user_id).first()
    if claim is None or user is None:
        return render(request, "web/verify_failed.html", status=400)
    if user.email_verified and user.email.lower() == claim.email.lower():
        messages.info(request, _("Your e-mail address is already confirmed."))
        return redirect("web:login" if not request.user.is_authenticated else "web:dashboard")
    old = user.email if user.email_verified else ""
    try:
        confirmed = do_confirm_email(user, email=claim.email)
    except AccountError as error:
        return render(request, "web/verify_failed.html", {"error": error.message}, status=400)
    if old and old.lower() != confirmed.email.lower():
        send_address_changed_notice(request, confirmed, old, confirmed.email)
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
    """Send the confirmation link again to an active login whose address is not confirmed yet
    (never to a deactivated one). The answer is the same whether or not such a login exists."""
    form = ResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        limit = mail_limit()
        if not limit.is_blocked(email):
            limit.record_failure(email)
            user = User.objects.filter(
                email__iexact=email, is_active=True, email_verified=False
            ).first()
            if user is not None:
                send_verification_email(request, user, user.email)
        messages.info(
            request,
            _("If an account waits for confirmation at %(email)s, we have sent it a new link.")
            % {"email": email},
        )
        return redirect("web:login")
    return render(request, "web/resend.html", {"form": form})


def address_change_limit() -> ratelimit.Limit:
    """Requests to change the e-mail address, per login and per client address (an hour)."""
    return ratelimit.Limit("address-change", settings.DOWNLINE_ADDRESS_REQUESTS_PER_HOUR, 3600)


def _address_change_refused(request: HttpRequest, user: User, email: str) -> str:
    """The message refusing a change of address to ``email`` when a limit is reached (per
    login, per client address, per address asked for), else ``""``; counts the request. The
    same for taken and free addresses."""
    per_requester, per_email = address_change_limit(), mail_limit()
    keys = (f"user:{user.pk}", f"ip:{ratelimit.client_address(request)}")
    for key in keys:
        if per_requester.is_blocked(key):
            return _too_many(per_requester)
    if per_email.is_blocked(email):
        return _too_many(per_email)
    for key in keys:
        per_requester.record_failure(key)
    per_email.record_failure(email)
    return ""


def profile_view(request: HttpRequest) -> HttpResponse:
    """Name, e-mail address and language. A new address needs the current password, is
    confirmed from the link sent to it, and the old address hears of the request (and later of
    the change): a stolen session alone cannot move the login to another mailbox unnoticed.
    A wrong password counts against the address-change limits (guessing is as slow as asking);
    nothing is saved when the change of address is refused."""
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
        email = form.cleaned_data["email"].strip().lower()
        changes_email = email != user.email.lower()
        if changes_email:
            limited = _address_change_refused(request, user, email)
            if limited:
                form.add_error("email", limited)
            else:
                password = form.cleaned_data["current_password"]
                if not (password and user.check_password(password)):
                    form.add_error(
                        "current_password",
                        _("Enter your current password to change your e-mail address."),
                    )
            if form.errors:
                return render(
                    request, "web/profile.html", {"form": form, "member": member}, status=400
                )
        name = " ".join(form.cleaned_data["name"].split())
        first, _space, last = name.partition(" ")
        language = form.cleaned_data["language"]
        do_update_profile(user, first_name=first, last_name=last, language=language)
        if member is not None:
            do_update_details(member, name=name, language=language)
        if changes_email:
            send_address_change_requested_notice(request, user, email)
            owner = User.objects.filter(email__iexact=email).exclude(pk=user.pk).first()
            if owner is None:
                send_verification_email(request, user, email)
            else:  # the same answer as for a free address; the owner hears of the attempt
                send_address_in_use_notice(request, owner, email)
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
    fallback = landing_url(request.user) if request.user.is_authenticated else reverse("web:login")
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
    """Django's new password from the e-mailed link; the owner has proven their mailbox, so the
    account's sign-in slow-down is lifted and an active login with a confirmed address is
    signed in at once (staff still confirm a code). Otherwise anyone who knows a username could
    keep a member without an authenticator slowed down, and so shut out, indefinitely."""

    template_name = "web/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        key = account_key("", user)
        account_limit().reset(key)
        account_gate().open(key)
        if user.is_active and user.email_verified:
            login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "web/password_reset_complete.html"
