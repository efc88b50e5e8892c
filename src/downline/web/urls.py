from django.urls import path

from . import views_accounts as accounts
from . import views_pages as pages

app_name = "web"

urlpatterns = [
    path("", pages.home_view, name="home"),
    path("accounts/login/", accounts.login_view, name="login"),
    path("accounts/logout/", accounts.logout_view, name="logout"),
    path("accounts/two-factor/", accounts.two_factor_view, name="two_factor"),
    path("accounts/profile/", accounts.profile_view, name="profile"),
    path("accounts/language/", accounts.set_language_view, name="set_language"),
    path("accounts/verify/resend/", accounts.resend_verification_view, name="resend_verification"),
    path("accounts/verify/<str:token>/", accounts.verify_email_view, name="verify_email"),
    path("accounts/password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        accounts.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/done/",
        accounts.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("join/<str:code>/", pages.join_view, name="join"),
    path("dashboard/", pages.dashboard_view, name="dashboard"),
    path("team/", pages.team_view, name="team"),
    path("team/search/", pages.team_search_view, name="team_search"),
    path("team/levels/", pages.team_levels_view, name="team_levels"),
    path("team/tree/<str:member_id>/", pages.tree_children_view, name="tree_children"),
    path("team/member/<str:member_id>/", pages.team_member_view, name="team_member"),
    path("customers/", pages.customers_view, name="customers"),
    path("customers/<str:member_id>/", pages.customer_view, name="customer"),
    path("console/", pages.console_view, name="console"),
]
