from django.core.management.base import BaseCommand, CommandError

from gazetteer.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup made by `backup` into an empty data dir and rebuild the search index."

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", help="a directory written by `manage.py backup`")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="overwrite a database that already holds volumes, people or users",
        )

    def handle(self, *args, **options):
        progress = self.stdout.write if options["verbosity"] >= 1 else None
        try:
            manifest = restore(options["directory"], replace=options["replace"], progress=progress)
        except BackupError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"restored the backup of {manifest['created']}: {len(manifest['volumes'])} volumes, "
                f"{manifest['tables'].get('gazetteer_entry', 0)} entries; search index rebuilt"
            )
        )
