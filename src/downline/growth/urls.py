"""Addresses of the growth app, mounted at the site root (each route names its own prefix)."""

from django.urls import path

from . import views

app_name = "growth"
urlpatterns: list = [
    path("growth/radar/", views.radar, name="radar"),
    path("growth/radar/<int:pk>/<slug:action>/", views.radar_act, name="radar_act"),
    path("growth/notifications/", views.notifications, name="notifications"),
    path(
        "growth/notifications/settings/",
        views.notification_settings,
        name="notification_settings",
    ),
    path("growth/push/subscribe/", views.push_subscribe, name="push_subscribe"),
    path("growth/sw.js", views.service_worker, name="service_worker"),
    path("growth/team-care/", views.team_care, name="team_care"),
    path("console/growth/mentors/", views.console_mentors, name="console_mentors"),
    path(
        "console/growth/mentors/<int:pk>/end/",
        views.console_mentor_end,
        name="console_mentor_end",
    ),
    path("console/growth/sponsor-changes/", views.console_requests, name="console_requests"),
    path(
        "console/growth/notifications/",
        views.console_notifications,
        name="console_notifications",
    ),
]
