from django.core.management.base import BaseCommand
from django.db import DatabaseError

from gazetteer.corpus import load_corpus
from loaders.document import LoaderError

from ._database import ensure_migrated
from ._edits import add_edit_options, edits_mode, report_edits
from ._report import command_error, report


class Command(BaseCommand):
    help = "Load the volumes listed in corpus/volumes.toml (or another manifest)."

    def add_arguments(self, parser):
        parser.add_argument("--manifest", help="path of the manifest (default: corpus/volumes.toml)")
        parser.add_argument("--only", nargs="+", metavar="SLUG", help="load only these volumes")
        parser.add_argument("--force", action="store_true", help="reload even if the files are unchanged")
        add_edit_options(parser)

    def handle(self, *args, **options):
        ensure_migrated(self)
        verbosity = options["verbosity"]
        progress = self.stdout.write if verbosity >= 1 else None
        try:
            results = load_corpus(
                options["manifest"], only=options["only"], force=options["force"], edits=edits_mode(options), progress=progress
            )
        except (LoaderError, DatabaseError, OSError) as e:
            raise command_error(e) from None
        report_edits(self, results)
        report(self, results, verbosity)
