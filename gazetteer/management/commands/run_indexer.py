import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

from gazetteer.search.indexing import process_queue


class Command(BaseCommand):
    help = "Apply queued search-index changes, every half second, until stopped (one per site)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between polls")
        parser.add_argument("--once", action="store_true", help="apply the queue once and exit")
        parser.add_argument(
            "--supervise",
            action="store_true",
            help="run the indexer as a child and start it again whenever it dies, until stopped "
            "or until the process that started this one is gone (gunicorn runs it so)",
        )

    def handle(self, *args, **options):
        if options["once"]:
            self.stdout.write(f"{process_queue()} change(s) applied")
            return
        if options["supervise"]:
            return self.supervise()
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

    RESTART_DELAY = (1, 60)  # seconds before restarting a dead indexer: first, at most

    def supervise(self):
        parent = os.getppid()
        stopping = []
        child = None

        def stop(*_):
            stopping.append(True)
            if child is not None and child.poll() is None:
                child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        delay = self.RESTART_DELAY[0]
        while not stopping:
            started = time.monotonic()
            child = subprocess.Popen([sys.executable, sys.argv[0], "run_indexer"])
            self.stderr.write(f"search indexer started (pid {child.pid})")
            while child.poll() is None and not stopping:
                if os.getppid() != parent:  # gunicorn is gone without stopping us
                    stop()
                time.sleep(0.5)
            code = child.wait()
            if stopping:
                return
            # One that keeps dying at once (a broken index dir) is retried less and less often.
            delay = self.RESTART_DELAY[0] if time.monotonic() - started > 60 else min(delay * 2, self.RESTART_DELAY[1])
            self.stderr.write(f"search indexer exited (status {code}); restarting it in {delay} s")
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline and not stopping:
                time.sleep(0.2)
