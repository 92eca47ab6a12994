"""Read a record id from a request without letting a bad one become a server error."""

# The largest id a database column holds (a signed 64-bit integer): a larger number in a
# URL or form makes SQLite raise OverflowError and PostgreSQL an error of its own.
MAX_ID = 2**63 - 1


def as_id(value):
    """Return ``value`` as a record id, or None if it is not a whole number a database can hold."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
