import signal
import time

from django.core.management.base import BaseCommand

from gazetteer.search.indexing import process_queue


class Command(BaseCommand):
    help = "Apply queued search-index changes, every half second, until stopped (one per site)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between polls")
        parser.add_argument("--once", action="store_true", help="apply the queue once and exit")

    def handle(self, *args, **options):
        if options["once"]:
            self.stdout.write(f"{process_queue()} change(s) applied")
            return
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
        while not stopping:
            try:
                applied = process_queue()
            except Exception as error:  # keep serving; the queue is retried next round
                self.stderr.write(f"indexer: {error}")
                applied = 0
            if applied and options["verbosity"] >= 2:
                self.stdout.write(f"{applied} change(s) applied")
            if not applied:
                time.sleep(options["interval"])
