"""Sign-in throttling under gunicorn: concurrent guesses for one user name are counted exactly."""

import threading

import pytest

from tests.live import Browser, news_archive

GUESSES = 12


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with news_archive(tmp_path_factory.mktemp("signin"), workers=4) as archive:
        yield archive


def test_concurrent_wrong_passwords_for_one_user_are_five_guesses_not_more(live):
    browsers = [Browser(live.url) for _ in range(GUESSES)]
    for browser in browsers:
        browser.get("/admin/login/")
    start = threading.Barrier(GUESSES)
    statuses = []

    def guess(browser, i):
        token = browser.csrf_token()
        start.wait()
        status, body, _ = browser.post(
            "/admin/login/",
            {"username": "fault-editor", "password": f"wrong-{i}", "csrfmiddlewaretoken": token},
            headers={"X-Forwarded-For": f"198.51.100.{i}"},  # from many addresses, via the proxy
        )
        statuses.append(status)

    threads = [threading.Thread(target=guess, args=(b, i)) for i, b in enumerate(browsers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Four answered "wrong password", the fifth was counted and locked the name; the rest
    # were refused without their password being tried.
    assert sorted(statuses) == [200] * 4 + [429] * (GUESSES - 4)
    counted = live.manage(
        "shell",
        "-c",
        "from axes.models import AccessAttempt; from django.db.models import Sum;"
        "print(AccessAttempt.objects.filter(username='fault-editor').aggregate(n=Sum('failures_since_start'))['n'])",
    ).stdout.split()[-1]
    assert counted == "5"
