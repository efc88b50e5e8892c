"""The plan lab's addresses; the project includes them under ``console/plan-lab/``."""

from django.urls import path

from . import views

app_name = "planlab"

urlpatterns = [
    path("", views.lab_view, name="lab"),
    path("runs/", views.runs_view, name="runs"),
    path("<int:pk>/", views.run_view, name="run"),
    path("<int:pk>/report.html", views.report_view, name="report"),
    path("<int:pk>/metrics.json", views.metrics_view, name="metrics"),
]
