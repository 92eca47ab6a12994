import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gazetteer.settings")

application = get_wsgi_application()

# Load the segmenter and the archive's dictionary now: under gunicorn --preload this
# runs once in the master, and every worker starts with it in memory.
from django.urls import get_resolver  # noqa: E402

from gazetteer.search import dictionary, unfold  # noqa: E402

dictionary.refresh()
unfold.classes()  # which characters fold to which: ~75 ms once, not in a first search
# Import every view and what it imports (pypinyin's tables alone are 194,000 lists),
# then take all that was loaded out of the garbage collector's sight. Python's full
# collection walks every container object alive: with these tables a worker paused for
# 100-130 ms whenever one ran (at 30× and 100× the sample alike, in the middle of some
# request). They live as long as the process, so nothing is lost by never walking them;
# before the fork, this also keeps the collector from writing to pages the workers share.
get_resolver().resolve("/")
gc.freeze()
