import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from gazetteer.corpus import SLUG, after_load, load_volume
from gazetteer.store import VolumeMeta
from loaders import KINDS
from loaders.document import LoaderError

from ._database import ensure_migrated
from ._edits import add_edit_options, edits_mode, report_edits
from ._report import command_error, report


class Command(BaseCommand):
    help = "Load one volume from its source file(s), outside the manifest."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="source files in reading order")
        parser.add_argument("--kind", required=True, choices=sorted(KINDS))
        parser.add_argument("--title", required=True)
        parser.add_argument("--year", type=int, help="year of publication")
        parser.add_argument("--year-covered", type=int, help="year the volume records (default: --year)")
        parser.add_argument("--slug", help="identifier used in URLs (default: from the first file name)")
        parser.add_argument("--region", default="")
        parser.add_argument("--compiler", default="")
        parser.add_argument("--force", action="store_true", help="reload even if the files are unchanged")
        add_edit_options(parser)

    def handle(self, *args, **options):
        ensure_migrated(self)
        slug = options["slug"] or re.sub(r"[^a-z0-9]+", "-", Path(options["files"][0]).stem.lower()).strip("-")
        if not SLUG.match(slug or ""):
            raise CommandError(f"cannot make a slug from {options['files'][0]!r}: give --slug (a-z, 0-9, -)")
        meta = VolumeMeta(
            slug=slug,
            title=options["title"],
            kind=options["kind"],
            region=options["region"],
            compiler=options["compiler"],
            year=options["year"],
            year_covered=options["year_covered"] or options["year"],
        )
        if options["verbosity"] >= 1:
            self.stdout.write(f"{slug}: {', '.join(options['files'])}")
        try:
            result = load_volume(meta, [Path(f) for f in options["files"]], force=options["force"], edits=edits_mode(options))
        except (LoaderError, DatabaseError, OSError) as e:
            raise command_error(e) from None
        report_edits(self, [result])
        if options["verbosity"] >= 1:
            self.stdout.write(f"    {result}")
        after_load([result], self.stdout.write if options["verbosity"] >= 1 else None)
        report(self, [result], options["verbosity"])
