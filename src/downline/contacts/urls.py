"""Addresses of the contacts app, mounted at the site root (each route names its own prefix).

Distributor pages under ``contacts/`` (member_required: only the owner's contacts, anyone
else's answer 404); the contact's own pages (no login, by their token) under
``contacts/confirm/`` and ``contacts/my-data/``."""

from django.urls import path

from . import views

app_name = "contacts"
urlpatterns = [
    path("contacts/", views.contact_list, name="list"),
    path("contacts/new/", views.contact_new, name="new"),
    path("contacts/tasks/", views.tasks_due_view, name="tasks"),
    path("contacts/tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("contacts/import/", views.import_view, name="import"),
    path("contacts/export.csv", views.export_csv_view, name="export_csv"),
    path("contacts/export.vcf", views.export_vcard_view, name="export_vcard"),
    path("contacts/<int:pk>/", views.contact_detail, name="detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="edit"),
    path("contacts/<int:pk>/stage/", views.contact_stage, name="stage"),
    path("contacts/<int:pk>/notes/", views.contact_note, name="note"),
    path("contacts/<int:pk>/tasks/", views.contact_task, name="task"),
    path("contacts/<int:pk>/merge/", views.contact_merge, name="merge"),
    path("contacts/<int:pk>/erase/", views.contact_erase, name="erase"),
    path("contacts/confirm/<str:token>/", views.public_confirm, name="confirm"),
    path("contacts/my-data/<str:token>/", views.public_my_data, name="my_data"),
]
