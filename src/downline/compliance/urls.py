"""Compliance pages of the console; the project includes them under ``console/compliance/``."""

from django.urls import path

from . import views

app_name = "compliance"

urlpatterns = [
    path("statement/", views.statement_view, name="statement"),
    path("statement/statement.html", views.statement_html_view, name="statement_html"),
    path("statement/statement.pdf", views.statement_pdf_view, name="statement_pdf"),
    path("indicators/", views.indicators_view, name="indicators"),
]

# the claim scanner's review queue (views_claims.py)
from . import views_claims  # noqa: E402

urlpatterns += [
    path("claims/", views_claims.claims_queue, name="claims_queue"),
    path("claims/<int:pk>/", views_claims.claims_review, name="claims_review"),
]
