"""The distributor's pages (joining, dashboard, team, customers). HTMX requests (``HX-Request``) get the fragment; plain requests the whole page, so
every link also works without JavaScript."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.core.errors import DownlineError
from downline.genealogy.access import visible_member
from downline.genealogy.models import Distributor

from . import ratelimit
from .access import landing_url, member_required
from .actions import do_join, referral_sponsor
from .forms import JoinForm, LevelFilterForm, SearchForm
from .pagination import page_number
from .projection_slot import activity_requirement, projection_for
from .selectors import (
    clean_tree,
    current_period,
    customer_of,
    customer_orders,
    customers_page,
    dashboard_figures,
    level_page,
    rank_source,
    search_downline,
    tree_children,
)
from .team_events import recent_team_events
from .verification import send_address_in_use_notice, send_verification_email
from .views_accounts import mail_limit

JOIN_LIMIT_PER_ADDRESS = 10


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def home_view(request: HttpRequest) -> HttpResponse:
    """The address of the site: sign-in for the anonymous, else where the login lands."""
    if not request.user.is_authenticated:
        return redirect("web:login")
    return redirect(landing_url(request.user))


def favicon_view(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for on every site (the Django admin's pages link no
    icon of their own): the site's SVG icon."""
    return redirect(static("web/favicon.svg"))


def join_limit() -> ratelimit.Limit:
    """Sign-up requests per client address and hour (taken and free addresses alike)."""
    return ratelimit.Limit("join", JOIN_LIMIT_PER_ADDRESS, 3600)


def _address_taken(email: str) -> User | None:
    """The login that already uses ``email`` (as its address or its username), if any."""
    return (
        User.objects.filter(email__iexact=email).order_by("id").first()
        or User.objects.filter(username__iexact=email).first()
    )


def join_view(request: HttpRequest, code: str) -> HttpResponse:
    """The referral page: who invites, and the sign-up form that enrolls under them.

    The answer to a valid form is the same page ("we sent a link to …") whether the address is
    free or already has an account: a free one gets its confirmation link, the owner of a taken
    one an e-mail saying someone tried to sign up with it. Requests are limited per client
    address (``JOIN_LIMIT_PER_ADDRESS`` an hour) and per e-mail address asked for.
    """
    sponsor = referral_sponsor(code)
    if sponsor is None:
        raise Http404
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        per_client, per_email = join_limit(), mail_limit()
        address = ratelimit.client_address(request)
        email = form.cleaned_data["email"].strip().lower()
        if per_client.is_blocked(address):
            form.add_error(None, _("Too many sign-ups from your address. Please try later."))
            return render(request, "web/join.html", {"sponsor": sponsor, "form": form})
        per_client.record_failure(address)
        done = render(request, "web/join_done.html", {"sponsor": sponsor, "email": email})
        if per_email.is_blocked(email):
            return done  # as silent as the password reset: nothing sent, nothing written
        per_email.record_failure(email)
        owner = _address_taken(email)
        if owner is not None:
            send_address_in_use_notice(request, owner, email)
            return done
        language = get_language() or "en"
        try:
            member = do_join(
                sponsor,
                name=form.cleaned_data["name"],
                email=email,
                password=form.cleaned_data["password"],
                language=language if language in dict(settings.LANGUAGES) else "en",
            )
        except DownlineError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            send_verification_email(request, member.user, member.user.email)
            return done
    return render(request, "web/join.html", {"sponsor": sponsor, "form": form})


@member_required
def dashboard_view(request: HttpRequest, member: Distributor) -> HttpResponse:
    """Live volumes of the open period, legs, team size, recent team events and the slot for
    the projection of the latest run."""
    period = current_period()
    context = {
        "member": member,
        "period": period,
        "figures": dashboard_figures(member, period.period),
        "events": recent_team_events(member, 10),
        "projection": projection_for(member, period.period),
        "requirement": activity_requirement(period.period),
    }
    return render(request, "web/dashboard.html", context)


@member_required
def team_view(request: HttpRequest, member: Distributor) -> HttpResponse:
    """The viewer's own node with their front line; each node expands lazily."""
    tree = clean_tree(request.GET.get("tree"))
    period = current_period()
    children = tree_children(
        member, tree, period.period, page_number(request), rank_source(period.period)
    )
    context = {
        "member": member,
        "root": member,
        "tree": tree,
        "period": period,
        "children": children,
        "search_form": SearchForm(initial={"tree": tree}),
        "requirement": activity_requirement(period.period),
    }
    return render(request, "web/team.html", context)


@member_required
def tree_children_view(request: HttpRequest, member: Distributor, member_id: str) -> HttpResponse:
    """The front line of a member of the viewer's downline (404 for anyone else)."""
    tree = clean_tree(request.GET.get("tree"))
    node = visible_member(member, member_id, tree)
    if node is None or node.is_customer:
        raise Http404
    period = current_period()
    children = tree_children(
        node, tree, period.period, page_number(request), rank_source(period.period)
    )
    context = {
        "member": member,
        "root": node,
        "tree": tree,
        "period": period,
        "children": children,
        "search_form": SearchForm(initial={"tree": tree}),
        "requirement": activity_requirement(period.period),
    }
    if _is_htmx(request):
        return render(request, "web/partials/tree_children.html", context)
    return render(request, "web/team.html", context)


@member_required
def team_search_view(request: HttpRequest, member: Distributor) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results: list[Distributor] = []
    tree = "enrollment"
    query = ""
    if form.is_valid():
        tree = clean_tree(form.cleaned_data.get("tree"))
        query = form.cleaned_data.get("q", "")
        results = search_downline(member, query, tree)
    context = {
        "member": member,
        "form": form,
        "results": results,
        "query": query,
        "tree": tree,
        "search_form": form,
    }
    if _is_htmx(request):
        return render(request, "web/partials/search_results.html", context)
    return render(request, "web/team_search.html", context)


@member_required
def team_levels_view(request: HttpRequest, member: Distributor) -> HttpResponse:
    """One level of the downline at a time, filtered, paginated. "Active only" keeps those
    active this period by the plan's activity rule, the rule the rows' "PV met" shows."""
    period = current_period()
    requirement = activity_requirement(period.period)
    ranks = rank_source(period.period)
    form = LevelFilterForm(request.GET or None, rank_names=ranks.names if ranks else None)
    tree, level, active, new, rank = "enrollment", 1, False, False, None
    page = page_number(request)
    if form.is_valid():
        tree = clean_tree(form.cleaned_data.get("tree"))
        level = form.cleaned_data.get("level") or 1
        active = form.cleaned_data.get("active") or False
        new = form.cleaned_data.get("new") or False
        rank = form.cleaned_data.get("rank")
    rows = level_page(
        member,
        tree,
        level,
        period.period,
        page=page,
        active_only=active,
        requirement=requirement,
        joined_since=period.first_day if new else None,
        ranks=ranks,
        rank=rank,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "member": member,
        "form": form,
        "rows": rows,
        "level": level,
        "tree": tree,
        "period": period,
        "query": query.urlencode(),
        "requirement": requirement,
    }
    if _is_htmx(request):
        return render(request, "web/partials/level_rows.html", context)
    return render(request, "web/team_levels.html", context)


@member_required
def team_member_view(request: HttpRequest, member: Distributor, member_id: str) -> HttpResponse:
    """One member of the viewer's downline (in either tree) at a glance; 404 for anyone else."""
    node = visible_member(member, member_id)
    if node is None or node.is_customer:
        raise Http404
    period = current_period()
    figures = dashboard_figures(node, period.period)
    last_order = (
        node.credited_orders.filter(returns_order__isnull=True)
        .order_by("-paid_at")
        .values_list("paid_at", flat=True)
        .first()
    )
    context = {
        "member": member,
        "node": node,
        "period": period,
        "figures": figures,
        "last_order": last_order,
        "requirement": activity_requirement(period.period),
    }
    return render(request, "web/team_member.html", context)


@member_required
def customers_view(request: HttpRequest, member: Distributor) -> HttpResponse:
    rows = customers_page(member, page_number(request))
    return render(request, "web/customers.html", {"member": member, "rows": rows})


@member_required
def customer_view(request: HttpRequest, member: Distributor, member_id: str) -> HttpResponse:
    customer = customer_of(member, member_id)
    if customer is None:
        raise Http404
    orders = list(customer_orders(customer)[:100])
    return render(
        request, "web/customer.html", {"member": member, "customer": customer, "orders": orders}
    )
