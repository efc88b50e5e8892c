"""The admin application with Downline's admin site (``core.admin_site.DownlineAdminSite``) as
``admin.site``: listed in ``INSTALLED_APPS`` instead of ``django.contrib.admin``.

Kept apart from ``admin_site`` so that loading the app registry imports no admin code.
"""

from django.contrib.admin.apps import AdminConfig


class DownlineAdminConfig(AdminConfig):
    default_site = "downline.core.admin_site.DownlineAdminSite"
