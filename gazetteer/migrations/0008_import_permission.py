"""The permission to import texts through the admin, given to the 编辑 group."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_GROUP = "编辑"


def grant_to_editors(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make this one now so
    # the group can be given it on a fresh database (as 0003 does).
    app_config = apps.get_app_config("gazetteer")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITOR_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="gazetteer", codename="import_volume"))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="gazetteer", codename="import_volume").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("gazetteer", "0007_remove_login_failure"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="volume",
            options={
                "ordering": ["-year", "slug"],
                "permissions": [("import_volume", "可导入文本")],
                "verbose_name": "卷册",
                "verbose_name_plural": "卷册",
            },
        ),
        migrations.RunPython(grant_to_editors, revoke),
    ]
