"""The 500 page, which must render whatever else is broken.

``templates/500.html`` links the stylesheet through ``{% static %}``; without
``collectstatic`` the manifest storage cannot name the file and raises, and every error
became a chain of exceptions with no page. Then the same page goes out without styles.
"""

import logging

from django.http import HttpResponseServerError
from django.views import defaults

logger = logging.getLogger(__name__)

PLAIN = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>服务器出错 · 方志档案</title>'
    "</head><body><h1>服务器出错了</h1><p>处理这个请求时出了错，错误已记入日志。请稍后再试，"
    '或从首页重新进入。</p><p><a href="/">返回首页</a></p></body></html>'
)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    try:
        return defaults.server_error(request, template_name)
    except Exception as error:  # the page itself failed: answer without it
        logger.error("the 500 page could not be rendered (%s: %s)", type(error).__name__, error)
        return HttpResponseServerError(PLAIN, content_type="text/html; charset=utf-8")
