from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from gazetteer.corpus import SLUG, after_load, load_volume, slug_for
from gazetteer.store import VolumeMeta
from loaders import AUTO, KINDS
from loaders.document import LoaderError

from ._database import ensure_migrated
from ._edits import add_edit_options, edits_mode, report_edits
from ._report import command_error, report


class Command(BaseCommand):
    help = "Load one volume from its source file(s), outside the manifest."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="source files in reading order")
        parser.add_argument("--title", required=True)
        parser.add_argument("--region", default="")
        parser.add_argument("--year-covered", type=int, help="year the volume records (default: --year)")
        parser.add_argument(
            "--kind", default=AUTO, choices=[AUTO, *sorted(KINDS)], help="kind of publication (default: detect it)"
        )
        parser.add_argument("--slug", help="identifier used in URLs (default: the title's pinyin and the year)")
        parser.add_argument("--year", type=int, help="year of publication")
        parser.add_argument("--compiler", default="")
        parser.add_argument("--force", action="store_true", help="reload even if the files are unchanged")
        add_edit_options(parser)

    def handle(self, *args, **options):
        ensure_migrated(self)
        if options["kind"] != AUTO and options["kind"] not in KINDS:
            # argparse checks the choices on the command line; call_command() passes options by.
            raise CommandError(f"argument --kind: invalid choice: {options['kind']!r} (choose from auto, {', '.join(sorted(KINDS))})")
        year_covered = options["year_covered"] or options["year"]
        slug = options["slug"]
        if slug is not None and not SLUG.match(slug):
            raise CommandError(f"--slug {slug!r}: use lower-case letters, digits and hyphens")
        try:
            slug = slug or slug_for(options["title"], options["year"] or year_covered)
        except LoaderError as e:
            raise CommandError(f"{e}: give --slug (lower-case letters, digits and hyphens)") from None
        meta = VolumeMeta(
            slug=slug,
            title=options["title"],
            kind=options["kind"],
            region=options["region"],
            compiler=options["compiler"],
            year=options["year"],
            year_covered=year_covered,
        )
        if options["verbosity"] >= 1:
            self.stdout.write(f"{slug}: {', '.join(options['files'])}")
        try:
            result = load_volume(meta, [Path(f) for f in options["files"]], force=options["force"], edits=edits_mode(options))
        except (LoaderError, DatabaseError, OSError) as e:
            raise command_error(e) from None
        report_edits(self, [result])
        if options["verbosity"] >= 1:
            if result.detected:
                self.stdout.write(f"    kind detected: {result.volume.kind} — {result.detected}")
            self.stdout.write(f"    {result}")
        after_load([result], self.stdout.write if options["verbosity"] >= 1 else None)
        report(self, [result], options["verbosity"])
