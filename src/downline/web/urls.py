from django.urls import path

from . import views_accounts as accounts
from . import views_console as console
from . import views_console_ops as console_ops
from . import views_earnings as earnings
from . import views_pages as pages
from . import views_payout_details as payout_details

app_name = "web"

urlpatterns = [
    path("", pages.home_view, name="home"),
    path("favicon.ico", pages.favicon_view, name="favicon"),
    path("accounts/login/", accounts.login_view, name="login"),
    path("accounts/logout/", accounts.logout_view, name="logout"),
    path("accounts/two-factor/", accounts.two_factor_view, name="two_factor"),
    path("accounts/profile/", accounts.profile_view, name="profile"),
    path("accounts/language/", accounts.set_language_view, name="set_language"),
    path("accounts/payout-details/", payout_details.payout_details_view, name="payout_details"),
    path(
        "accounts/payout-details/confirm/<str:token>/",
        payout_details.payout_details_confirm_view,
        name="payout_details_confirm",
    ),
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
    path("earnings/", earnings.earnings_view, name="earnings"),
    path("earnings/<str:code>/", earnings.statement_view, name="statement"),
    path("earnings/<str:code>/statement.csv", earnings.statement_csv_view, name="statement_csv"),
    path("earnings/<str:code>/statement.pdf", earnings.statement_pdf_view, name="statement_pdf"),
    # the company console (roles: see roles.py)
    path("console/", console.overview_view, name="console"),
    path("console/charts.json", console.charts_view, name="console_charts"),
    path("console/distributors/", console.distributors_view, name="console_distributors"),
    path("console/enroll/", console_ops.enroll_view, name="console_enroll"),
    path(
        "console/distributors/<str:member_id>/",
        console.distributor_view,
        name="console_distributor",
    ),
    path(
        "console/distributors/<str:member_id>/status/",
        console.distributor_status_view,
        name="console_distributor_status",
    ),
    path(
        "console/distributors/<str:member_id>/move/",
        console.distributor_move_view,
        name="console_distributor_move",
    ),
    path(
        "console/distributors/<str:member_id>/notes/",
        console.distributor_note_view,
        name="console_distributor_note",
    ),
    # operations moved here from the admin (views_console_ops)
    path(
        "console/distributors/<str:member_id>/details/",
        console_ops.details_view,
        name="console_distributor_details",
    ),
    path(
        "console/distributors/<str:member_id>/sponsor/",
        console_ops.sponsor_view,
        name="console_distributor_sponsor",
    ),
    path(
        "console/distributors/<str:member_id>/placement/",
        console_ops.placement_view,
        name="console_distributor_placement",
    ),
    path(
        "console/distributors/<str:member_id>/upgrade/",
        console_ops.upgrade_view,
        name="console_distributor_upgrade",
    ),
    path(
        "console/distributors/<str:member_id>/events/<int:pk>/reverse/",
        console_ops.reverse_event_view,
        name="console_event_reverse",
    ),
    path(
        "console/distributors/<str:member_id>/autoships/",
        console_ops.autoships_view,
        name="console_autoships",
    ),
    path(
        "console/distributors/<str:member_id>/autoships/<int:pk>/cancel/",
        console_ops.autoship_cancel_view,
        name="console_autoship_cancel",
    ),
    path(
        "console/distributors/<str:member_id>/payout-details/",
        console_ops.payout_profile_view,
        name="console_payout_profile",
    ),
    path("console/periods/<str:code>/", console_ops.period_view, name="console_period"),
    path("console/plans/", console.plans_view, name="console_plans"),
    path("console/plans/compare/", console.plan_compare_view, name="console_plan_compare"),
    path("console/plans/<int:pk>/", console.plan_view, name="console_plan"),
    path("console/periods/", console.periods_view, name="console_periods"),
    path("console/runs/start/", console.run_start_view, name="console_run_start"),
    path("console/runs/<int:pk>/", console.run_view, name="console_run"),
    path("console/jobs/<int:pk>/", console.job_view, name="console_job"),
    path("console/payouts/", console.payouts_view, name="console_payouts"),
    path("console/payouts/<int:pk>/", console.batch_view, name="console_batch"),
    path(
        "console/payouts/<int:pk>/approve/",
        console.batch_approve_view,
        name="console_batch_approve",
    ),
    path(
        "console/payouts/<int:pk>/export/", console.batch_export_view, name="console_batch_export"
    ),
    path("console/payouts/<int:pk>/paid/", console.batch_paid_view, name="console_batch_paid"),
    path(
        "console/payouts/<int:pk>/cancel/", console.batch_cancel_view, name="console_batch_cancel"
    ),
    path(
        "console/payout/<int:pk>/failed/", console.payout_failed_view, name="console_payout_failed"
    ),
    path("console/adjustments/", console.adjustments_view, name="console_adjustments"),
    path("console/returns/", console.returns_view, name="console_returns"),
]
