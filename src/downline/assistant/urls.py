"""Addresses of the assistant app, mounted at the site root (each route names its own prefix)."""

from django.urls import path

from . import views

app_name = "assistant"
urlpatterns = [
    path("assistant/", views.chat_view, name="chat"),
    path("assistant/ask/", views.ask_view, name="ask"),
    path("assistant/new/", views.new_conversation_view, name="new"),
    path("assistant/plan/", views.plan_view, name="plan"),
    path("assistant/answers/<int:pk>/feedback/", views.feedback_view, name="feedback"),
    path("assistant/answers/<int:pk>/ticket/", views.ticket_view, name="ticket"),
    path("console/assistant/", views.console_view, name="console"),
]
