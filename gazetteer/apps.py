from django.apps import AppConfig


class GazetteerConfig(AppConfig):
    name = "gazetteer"
    verbose_name = "地方志"
    default_auto_field = "django.db.models.BigAutoField"
