"""Admin sign-in throttling with django-axes: the client's real address, and no race.

- ``client_address``: behind the reverse proxy every request comes from the proxy, so
  the proxy's ``X-Forwarded-For`` names the client. It is believed only when the
  request comes from an address in ``GAZETTEER_TRUSTED_PROXIES``; from anywhere else
  the header is ignored (a client could write anything into it).
- ``one_at_a_time``: axes checks the lockout before it tries the password and counts
  the failure after. Concurrent guesses for one user name all pass the check before the
  first is counted (7 guesses instead of 5). Running the whole sign-in in a transaction
  that holds a lock makes check, guess and count one step per user name.
- ``locked_out``: the answer while locked out, in the admin's language.
"""

import functools
import ipaddress
import zlib

from django.conf import settings
from django.db import connection, transaction
from django.shortcuts import render

from . import editing


def _networks():
    return [ipaddress.ip_network(item, strict=False) for item in settings.GAZETTEER_TRUSTED_PROXIES]


def _address(text):
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def client_address(request):
    """Return the client's address: REMOTE_ADDR, or what a trusted proxy says it is."""
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = _networks()

    def is_trusted(address):
        return address is not None and any(address in network for network in trusted)

    if not is_trusted(_address(remote)):
        return remote or None
    # Read the header from the right: each trusted proxy appended the address it saw;
    # the first address that is not a trusted proxy is the client.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for item in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _address(item)
        if address is None:
            break  # garbage from the client side of the chain: stop believing it
        if not is_trusted(address):
            return str(address)
    return remote


def one_at_a_time(login_view):
    """Run a sign-in view holding a lock per user name, so lockout counting has no race."""

    @functools.wraps(login_view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return login_view(request, *args, **kwargs)
        with transaction.atomic():
            if connection.vendor == "postgresql":
                username = request.POST.get("username", "")[:150]
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(username.encode())])
            else:
                editing.begin_writing()  # SQLite: one writer at a time
            return login_view(request, *args, **kwargs)

    return wrapper


def locked_out(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "admin/locked_out.html",
        {"title": "登录已暂停", "minutes": minutes, "site_header": "方志档案 · 编辑后台"},
        status=429,
    )
