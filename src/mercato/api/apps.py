from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "mercato.api"
    label = "api"
    verbose_name = "API"
