"""Console pages of the API keys; the project includes them under ``console/api-keys/``."""

from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("", views.keys_view, name="keys"),
    path("<int:pk>/revoke/", views.revoke_view, name="revoke"),
]
