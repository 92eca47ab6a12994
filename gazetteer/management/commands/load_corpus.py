from django.core.management.base import BaseCommand, CommandError

from gazetteer.corpus import load_corpus
from loaders.document import LoaderError

from ._report import report


class Command(BaseCommand):
    help = "Load the volumes listed in corpus/volumes.toml (or another manifest)."

    def add_arguments(self, parser):
        parser.add_argument("--manifest", help="path of the manifest (default: corpus/volumes.toml)")
        parser.add_argument("--only", nargs="+", metavar="SLUG", help="load only these volumes")
        parser.add_argument("--force", action="store_true", help="reload even if the files are unchanged")

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        progress = self.stdout.write if verbosity >= 1 else None
        try:
            results = load_corpus(options["manifest"], only=options["only"], force=options["force"], progress=progress)
        except LoaderError as e:
            raise CommandError(str(e)) from None
        report(self, results, verbosity)
