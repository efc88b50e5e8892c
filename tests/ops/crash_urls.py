"""The site's URLs plus a view that fails, for the logging tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from downline.urls import urlpatterns as site_urlpatterns


def failing_view(request: HttpRequest) -> HttpResponse:
    # a bug in a view: nothing catches it
    raise RuntimeError("the ledger exploded on purpose")


urlpatterns = [path("ops-test/fail/", failing_view), *site_urlpatterns]
