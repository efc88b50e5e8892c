"""Addresses of the support app, mounted at the site root (each route names its own prefix)."""

from django.urls import path

from . import views

app_name = "support"
urlpatterns = [
    path("support/", views.home, name="home"),
    path("support/new/", views.ticket_new, name="ticket_new"),
    path("support/suggest/", views.suggest, name="suggest"),
    path("support/tickets/<int:pk>/", views.ticket, name="ticket"),
    path("support/kb/", views.kb, name="kb"),
    path("support/kb/<slug:key>/", views.article, name="article"),
    path("support/disputes/new/", views.dispute_new, name="dispute_new"),
    path("support/disputes/lines/", views.dispute_lines, name="dispute_lines"),
    path("support/disputes/<int:pk>/", views.dispute, name="dispute"),
    path("console/support/", views.console_queue, name="console_queue"),
    path("console/support/tickets/<int:pk>/", views.console_ticket, name="console_ticket"),
    path("console/support/sla/", views.console_sla, name="console_sla"),
    path("console/support/kb/", views.console_articles, name="console_articles"),
    path("console/support/kb/<slug:key>/", views.console_article, name="console_article"),
    path("console/support/disputes/", views.console_disputes, name="console_disputes"),
    path("console/support/disputes/<int:pk>/", views.console_dispute, name="console_dispute"),
]
