from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API for integrations"

    def ready(self) -> None:
        # The token's security scheme in the OpenAPI schema (drf-spectacular finds it by import).
        from api import schema  # noqa: F401
