"""Addresses of the outreach app, mounted at the site root (each route names its own prefix)."""

from django.urls import path, re_path

from . import console, views, views_public, views_training

app_name = "outreach"
urlpatterns = [
    # public
    path("p/<slug:slug>/", views_public.page_view, name="page"),
    path("p/<slug:slug>/photo", views_public.page_photo, name="page_photo"),
    re_path(r"^p/(?P<slug>[-\w]+)/qr\.(?P<kind>png|svg)$", views_public.page_qr, name="page_qr"),
    path("r/<slug:slug>/", views_public.referral, name="referral"),
    path("lead/<slug:key>/ebook", views_public.ebook, name="ebook"),
    path("lead/<slug:key>/video", views_public.template_video, name="template_video"),
    path("u/<str:token>/", views_public.unsubscribe, name="unsubscribe"),
    path("outreach/bounce/", views_public.bounce, name="bounce"),
    path("w/<int:webinar_id>/<slug:slug>/", views_public.webinar_register, name="webinar_register"),
    path("w/join/<str:token>/", views_public.webinar_join, name="webinar_join"),
    path("w/ics/<str:token>/", views_public.webinar_ics, name="webinar_ics"),
    path("blog/", views_public.blog, name="blog"),
    path("blog/<slug:slug>/", views_public.article, name="article"),
    # the distributor
    path("outreach/", views.my_page, name="my_page"),
    path("outreach/webinars/", views.my_webinars, name="my_webinars"),
    path(
        "outreach/webinars/<int:webinar_id>/attend/",
        views_training.webinar_training,
        name="webinar_training",
    ),
    path("outreach/sequences/", views.my_sequences, name="my_sequences"),
    path(
        "outreach/sequences/<int:enrollment_id>/remove/",
        views.remove_enrollment,
        name="remove_enrollment",
    ),
    path("outreach/broadcast/", views.broadcast, name="broadcast"),
    # the console
    path("console/outreach/", console.sent, name="console_sent"),
    path("console/outreach/templates/", console.templates, name="console_templates"),
    path("console/outreach/templates/new/", console.template_edit, name="console_template_new"),
    path("console/outreach/templates/<int:pk>/", console.template_edit, name="console_template"),
    path("console/outreach/sequences/", console.sequences, name="console_sequences"),
    path("console/outreach/sequences/new/", console.sequence_edit, name="console_sequence_new"),
    path("console/outreach/sequences/<int:pk>/", console.sequence_edit, name="console_sequence"),
    path(
        "console/outreach/sequences/<int:pk>/steps/new/", console.step_add, name="console_step_new"
    ),
    path("console/outreach/news/", console.news, name="console_news"),
    path("console/outreach/webinars/", console.webinars, name="console_webinars"),
    path("console/outreach/webinars/new/", console.webinar_new, name="console_webinar_new"),
    path(
        "console/outreach/webinars/<int:pk>/host/",
        console.webinar_host,
        name="console_webinar_host",
    ),
    path("console/outreach/articles/", console.articles, name="console_articles"),
    path("console/outreach/articles/new/", console.article_edit, name="console_article_new"),
    path("console/outreach/articles/<int:pk>/", console.article_edit, name="console_article"),
]
