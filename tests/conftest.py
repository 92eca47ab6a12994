import shutil
from collections import defaultdict

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from gazetteer import figures
from gazetteer.search import indexing, versions

EDITOR_PASSWORD = "correct horse 7"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the whole sample corpus once per test session, as `load_corpus` does."""
    with django_db_blocker.unblock():
        call_command("load_corpus", verbosity=0)


@pytest.fixture(autouse=True)
def figures_counted_afresh():
    """Every test counts the archive's figures (home's totals, …) afresh: its changes are
    rolled back uncommitted, so the version they are kept by would not show them."""
    figures.forget()
    yield
    figures.forget()


class IndexRestorer:
    """Record what a test queues for the index; afterwards rewrite those documents from the database."""

    def __init__(self):
        self.touched = defaultdict(set)

    def record(self, model, ids):
        self.touched[model].update(i for i in ids if i is not None)

    def restore(self):
        ui = indexing.unified_index()
        objects, deletes = {}, {}
        for model, ids in self.touched.items():
            found = list(ui.get_index(model).index_queryset().filter(pk__in=ids))
            objects[model] = found
            deletes[model] = ids - {o.pk for o in found}
        if objects:
            indexing.write(objects, deletes)


@pytest.fixture
def index_restored(monkeypatch, django_db_blocker):
    restorer = IndexRestorer()
    enqueue = indexing.enqueue

    def recording_enqueue(model, ids):
        ids = list(ids)
        restorer.record(model, ids)
        enqueue(model, ids)

    monkeypatch.setattr(indexing, "enqueue", recording_enqueue)
    yield restorer
    with django_db_blocker.unblock():
        restorer.restore()


@pytest.fixture
def index_put_back(tmp_path):
    """The search index as it was before the test, put back after it, for a test that
    loads volumes. Rebuilding at teardown would not do: teardown runs inside the test's
    transaction, before its rollback, so the rebuilt index kept the loaded documents for
    the tests that follow (every search total of the sample doubled)."""
    path = indexing.backend().path
    saved = tmp_path / "index-before"
    shutil.copytree(versions.live_build(path), saved)
    yield
    build = versions.new_build(path)
    shutil.rmtree(build)
    shutil.copytree(saved, build)
    previous = versions.switch(path, build)
    versions.prune(path, [build, previous])


@pytest.fixture
def editor(db):
    user = User.objects.create_user("bianji", password=EDITOR_PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="编辑"))
    return user
