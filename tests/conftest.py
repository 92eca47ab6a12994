import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the whole sample corpus once per test session, as `load_corpus` does."""
    with django_db_blocker.unblock():
        call_command("load_corpus", verbosity=0)
