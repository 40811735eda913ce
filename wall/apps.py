from django.apps import AppConfig


class WallConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wall"
    verbose_name = "Wall displays"
