from django.core.management.base import BaseCommand, CommandError

from gazetteer.backup import BackupError, backup


class Command(BaseCommand):
    help = "Write a consistent snapshot of the archive (database + manifest of loaded files) into DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", help="a new or empty directory")

    def handle(self, *args, **options):
        try:
            manifest = backup(options["directory"])
        except BackupError as e:
            raise CommandError(str(e)) from None
        tables = manifest["tables"]
        self.stdout.write(
            self.style.SUCCESS(
                f"backup of the {manifest['engine']} database in {options['directory']}: "
                f"{len(manifest['volumes'])} volumes, {tables.get('gazetteer_entry', 0)} entries, "
                f"{tables.get('gazetteer_person', 0)} people, {sum(tables.values())} rows in {len(tables)} tables, "
                f"{manifest['database']['bytes']} bytes"
            )
        )
