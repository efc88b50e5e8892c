from django.urls import path

from . import views

app_name = "shops"

urlpatterns = [
    path("<str:kind>/<slug:slug>/", views.shop_webhook, name="webhook"),
]
