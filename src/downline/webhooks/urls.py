"""Webhook pages of the console; the project includes them under ``console/webhooks/``."""

from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.subscriptions_view, name="subscriptions"),
    path("<int:pk>/disable/", views.disable_view, name="disable"),
    path("<int:pk>/enable/", views.enable_view, name="enable"),
    path("deliveries/", views.deliveries_view, name="deliveries"),
    path("deliveries/<int:pk>/", views.delivery_view, name="delivery"),
    path("deliveries/<int:pk>/replay/", views.replay_view, name="replay"),
]
