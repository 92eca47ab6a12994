"""Log filters: a refused request is one line, not a traceback."""

import logging


class OneLineClientErrors(logging.Filter):
    """Drop the traceback Django attaches to a 403 (PermissionDenied): a refusal is not a bug."""

    def filter(self, record):
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
