import time

from django.core.management.base import BaseCommand, CommandError

from gazetteer.search import indexing


class Command(BaseCommand):
    # Replaces haystack's rebuild_index (the gazetteer app is listed before haystack):
    # haystack's clears the index and commits every batch of documents, and Whoosh merges
    # segments on each commit — at 30× that took over 16 minutes, against about a minute
    # for one writer and one commit, which is what every load of the archive does.
    help = "Empty the search index and index every volume, person and organisation again (one commit)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive", help="do not ask for confirmation"
        )

    def handle(self, *args, **options):
        if options["interactive"]:
            answer = input("This empties the search index and builds it again. Continue? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise CommandError("rebuild cancelled")
        started = time.monotonic()
        documents = indexing.rebuild()
        if options["verbosity"] >= 1:
            self.stdout.write(
                self.style.SUCCESS(f"search index rebuilt: {documents} documents in {time.monotonic() - started:.1f} s")
            )
