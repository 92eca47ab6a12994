"""The 编辑 group, and the loaded paths of sections stored before paths were kept."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_GROUP = "编辑"

# Editors correct what the loaders got wrong. They may not delete a volume (that is a
# re-load's business) nor manage users; volumes and source files are read-only to them.
EDITOR_PERMISSIONS = {
    "entry": ("view", "add", "change", "delete"),
    "section": ("view", "add", "change", "delete"),
    "person": ("view", "add", "change", "delete"),
    "organisation": ("view", "add", "change", "delete"),
    "appointment": ("view", "add", "change", "delete"),
    "caption": ("view", "add", "change", "delete"),
    "byline": ("view", "add", "change", "delete"),
    "volume": ("view",),
    "sourcefile": ("view",),
}


def create_editor_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make them now so the
    # group can refer to them on a fresh database.
    app_config = apps.get_app_config("gazetteer")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITOR_GROUP)
    codenames = [f"{action}_{model}" for model, actions in EDITOR_PERMISSIONS.items() for action in actions]
    group.permissions.set(Permission.objects.filter(content_type__app_label="gazetteer", codename__in=codenames))


def remove_editor_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITOR_GROUP).delete()


def fill_source_paths(apps, schema_editor):
    Section = apps.get_model("gazetteer", "Section")
    sections = {s.pk: s for s in Section.objects.all()}

    def path(s):
        return f"{path(sections[s.parent_id])} › {s.title}" if s.parent_id else s.title

    for s in sections.values():
        s.source_path = path(s)[:1000]
    Section.objects.bulk_update(sections.values(), ["source_path"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("gazetteer", "0002_history_and_edit_tracking"),
    ]

    operations = [
        migrations.RunPython(create_editor_group, remove_editor_group),
        migrations.RunPython(fill_source_paths, migrations.RunPython.noop),
    ]
