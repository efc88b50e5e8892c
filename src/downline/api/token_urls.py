"""The back office page of personal API tokens; the project includes it under
``accounts/api-tokens/``."""

from django.urls import path

from . import views

app_name = "api_tokens"

urlpatterns = [
    path("", views.tokens_view, name="tokens"),
    path("<int:pk>/revoke/", views.token_revoke_view, name="revoke"),
]
