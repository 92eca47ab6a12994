"""Response headers and failure answers the whole site shares.

- ``HealthCheckMiddleware`` answers ``/healthz`` before Django checks the Host header
  or redirects to HTTPS: load balancers probe over plain HTTP by IP address.
- ``SecurityHeadersMiddleware`` adds the content security policy and the headers
  Django's SecurityMiddleware does not send.
- ``DatabaseUnavailableMiddleware`` turns a locked or unreachable database into a
  503 with a message, so a long transaction elsewhere makes requests fail fast
  instead of piling up behind it as 500s or hung workers.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

from . import health

logger = logging.getLogger(__name__)

# Pages load scripts, styles, images and fonts from the site itself and nothing else;
# no inline script or style attribute runs. Forms post only to the site, and no other
# site may frame it.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Django's admin (change_list.html) and simple_history's history page carry a few
# inline style rules; scripts stay as strict as on the public pages.
ADMIN_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
RETRY_AFTER_SECONDS = 10


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in ("/healthz", "/healthz/"):
            return health.healthz(request)
        return self.get_response(request)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = (
            ADMIN_CONTENT_SECURITY_POLICY if request.path.startswith("/admin/") else CONTENT_SECURITY_POLICY
        )
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        # OperationalError: locked (SQLite's busy timeout, PostgreSQL's lock_timeout),
        # disk full, server gone. InterfaceError: the connection was closed under us.
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable for %s: %s", request.path, exception)
        return unavailable(request, "数据库暂时繁忙或不可用，请稍后再试。")


def unavailable(request, message):
    """Return a 503 that tells the reader what happened, as JSON under /api/."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"error": message, "status": 503}, status=503, json_dumps_params={"ensure_ascii": False}
        )
    else:
        # Plain markup on purpose: templates may need the database this request lacks.
        response = HttpResponse(
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>暂时无法访问 · 方志档案</title>'
            f"</head><body><h1>暂时无法访问</h1><p>{message}</p></body></html>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
