from django.contrib.admin.apps import AdminConfig


class SiteAdminConfig(AdminConfig):
    """Django's admin, with our site (imported lazily: it needs the apps loaded)."""

    default_site = "sitracker.admin_site.SiteAdmin"
