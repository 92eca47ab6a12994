from django.apps import AppConfig


class GazetteerConfig(AppConfig):
    name = "gazetteer"
    verbose_name = "地方志"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Receivers: the loaded version kept before an editor's first change, and the
        # tombstone a deleted entry or section leaves.
        from . import editing, tombstones  # noqa: F401
