"""Addresses of the contests app, mounted at the site root (each route names its own prefix)."""

from django.urls import path

from . import views

app_name = "contests"
urlpatterns = [
    path("contests/", views.contest_list, name="list"),
    path("contests/settings/", views.member_settings, name="settings"),
    path("contests/recognition/", views.recognition, name="recognition"),
    path("contests/points/", views.points, name="points"),
    path("contests/<slug:slug>/", views.board, name="board"),
    path("contests/<slug:slug>/live/", views.board_live, name="board_live"),
    path("income/residual/", views.residual, name="residual"),
    path("badges/issuer.json", views.badge_issuer, name="badge_issuer"),
    path("badges/revocations.json", views.badge_revocations, name="badge_revocations"),
    path("badges/classes/<slug:slug>.json", views.badge_class_json, name="badge_class"),
    path("badges/classes/<slug:slug>.svg", views.badge_image, name="badge_image"),
    path("badges/assertions/<uuid:uid>.json", views.badge_assertion, name="badge_assertion"),
    path("console/contests/", views.console_contests, name="console_contests"),
    path("console/contests/points/", views.console_points, name="console_points"),
    path(
        "console/contests/recognition.pdf",
        views.console_recognition_pdf,
        name="console_recognition_pdf",
    ),
    path("console/contests/<slug:slug>/", views.console_contest, name="console_contest"),
    path("console/contests/<slug:slug>/publish/", views.console_publish, name="console_publish"),
    path("console/contests/<slug:slug>/freeze/", views.console_freeze, name="console_freeze"),
]
