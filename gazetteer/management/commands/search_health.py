from django.core.management.base import BaseCommand, CommandError

from gazetteer.search.indexing import health


class Command(BaseCommand):
    help = "Compare the documents in the search index with the rows in the database."

    def handle(self, *args, **options):
        rows = health()
        width = max(len(model) for model, _, _ in rows)
        self.stdout.write(f"{'model':<{width}}  database  index")
        for model, db, indexed in rows:
            self.stdout.write(f"{model:<{width}}  {db:>8}  {indexed:>5}{'' if db == indexed else '  ← differs'}")
        if any(db != indexed for _, db, indexed in rows):
            raise CommandError("the index is out of date: run `manage.py rebuild_index --noinput`")
        self.stdout.write(self.style.SUCCESS("the index matches the database"))
