"""Which HTTP methods the site answers, decided before CSRF checks and views.

The public pages and the JSON API only read: GET and HEAD. OPTIONS is answered with
the ``Allow`` header and no page; TRACE (which would echo a request back) and every
write get 405. Under ``/api/`` the 405 is JSON with a message, as the API documents,
rather than the CSRF middleware's HTML 403 for a POST without a token, or the empty
405 of ``require_safe`` for one with it. The admin has forms and is left to Django.
"""

from django.http import HttpResponse, JsonResponse

READ = ("GET", "HEAD")
ALLOW = "GET, HEAD, OPTIONS"


class MethodMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        method = request.method
        if method == "TRACE" or (method not in READ and not request.path.startswith("/admin/")):
            if method == "OPTIONS":
                response = HttpResponse(status=200)
                response["Allow"] = ALLOW
                response["Content-Length"] = "0"
                return response
            return not_allowed(request)
        response = self.get_response(request)
        if method == "HEAD":
            without_body(response)
        return response


def without_body(response):
    """Drop the body of a response to HEAD, keeping its Content-Length.

    Django's development server drops it itself; under gunicorn the body went out to
    the server, which dropped it with a warning in the log for every HEAD request.
    """
    if response.streaming:
        close = getattr(response, "close", None)
        response.streaming_content = []
        if close:
            close()
    else:
        response.content = b""


def not_allowed(request):
    message = f"method {request.method} not allowed: the site is read-only here (allowed: {ALLOW})"
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": message, "status": 405}, status=405)
    else:
        response = HttpResponse(message + "\n", status=405, content_type="text/plain; charset=utf-8")
    response["Allow"] = ALLOW if not request.path.startswith("/admin/") else "GET, HEAD, POST, OPTIONS"
    return response
