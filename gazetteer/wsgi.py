import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gazetteer.settings")

application = get_wsgi_application()

# Load the segmenter and the archive's dictionary now: under gunicorn --preload this
# runs once in the master, and every worker starts with it in memory.
from gazetteer.search import dictionary  # noqa: E402

dictionary.refresh()
