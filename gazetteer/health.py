"""``/healthz``: is this machine fit to serve? For load balancers and monitoring.

200 with ``"status": "ok"`` when the database answers and the search index can be
read and matches it; ``"degraded"`` (still 200) when the index lags the database
(the indexer is behind or stopped): every page works, search misses recent edits.
503 with ``"status": "unavailable"`` when the database or the index cannot be read, so
a balancer sends readers to another machine. Errors name their kind, not their
message: the answer is public and messages carry paths.
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from .models import IndexTask, Volume
from .search import indexing


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    oldest = IndexTask.objects.order_by("id").values_list("queued_at", flat=True).first()
    return {
        "ok": True,
        "engine": connection.vendor,
        "volumes": Volume.objects.count(),
        "index_queue": IndexTask.objects.count(),
        "index_queue_age_seconds": int((timezone.now() - oldest).total_seconds()) if oldest else 0,
    }


def check_search():
    counts = indexing.health()
    # Records in the database and none in the index: the index was lost and an empty one
    # stands in its place (haystack creates one when the directory is missing).
    empty = any(db and not indexed for _, db, indexed in counts)
    return {
        "ok": not empty,
        **({"error": "EmptyIndex"} if empty else {}),
        "documents": {model: indexed for model, _, indexed in counts},
        "missing": sum(max(db - indexed, 0) for _, db, indexed in counts),
        "in_sync": all(db == indexed for _, db, indexed in counts),
    }


def _failed(error):
    return {"ok": False, "error": type(error).__name__}


@never_cache
def healthz(request):
    """Report the health of the database and the search index as JSON."""
    try:
        database = check_database()
    except Exception as error:  # any failure to read is what this view reports
        database = _failed(error)
    try:
        search = check_search() if database["ok"] else {"ok": False, "error": "database unavailable"}
    except Exception as error:
        search = _failed(error)
    # A change queued longer than this means the indexer is not running (gunicorn.conf.py
    # restarts it): search misses that edit even when the counts match.
    stale = database.get("index_queue_age_seconds", 0) >= settings.GAZETTEER_INDEX_QUEUE_STALE_SECONDS
    if not (database["ok"] and search["ok"]):
        status = "unavailable"
    elif stale:
        status = "degraded"
    elif search["in_sync"] or database["index_queue"]:
        # Pending edits the indexer is working through are normal operation.
        status = "ok"
    else:
        status = "degraded"
    return JsonResponse(
        {"status": status, "database": database, "search": search},
        status=503 if status == "unavailable" else 200,
        json_dumps_params={"ensure_ascii": False},
    )
