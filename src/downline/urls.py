from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("console/plan-lab/", include("downline.simulation.urls")),
    path("console/compliance/", include("downline.compliance.urls")),
    path("", include("downline.web.urls")),
]
