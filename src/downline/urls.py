from django.contrib import admin
from django.urls import include, path

from downline.api.api import api as api_v1
from downline.core.health import healthz

urlpatterns = [
    # for load balancers; answered by downline.core.health.HealthCheckMiddleware before hosts,
    # HTTPS redirects and sessions are checked
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api_v1.urls),
    path("console/plan-lab/", include("downline.simulation.urls")),
    path("console/compliance/", include("downline.compliance.urls")),
    path("console/api-keys/", include("downline.api.urls")),
    path("accounts/api-tokens/", include("downline.api.token_urls")),
    path("console/webhooks/", include("downline.webhooks.urls")),
    path("shops/", include("downline.shops.urls")),
    # the distributor's tools: each app's routes carry their own prefixes (academy/, console/academy/ …)
    path("", include("downline.academy.urls")),
    path("", include("downline.contacts.urls")),
    path("", include("downline.outreach.urls")),
    path("", include("downline.growth.urls")),
    path("", include("downline.contests.urls")),
    path("", include("downline.support.urls")),
    path("", include("downline.assistant.urls")),
    path("", include("downline.web.urls")),
]
