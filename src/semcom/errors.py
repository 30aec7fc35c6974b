"""The one exception type users see.

Every problem caused by the user's input (unknown name, bad file, unparsable value)
raises :class:`SemcomError`. The CLI prints its message on one line and exits with
status 2; library callers can catch it.

Example:
    >>> from semcom.errors import SemcomError
    >>> try:
    ...     raise SemcomError("unknown codec 'foo'")
    ... except SemcomError as e:
    ...     print(e)
    unknown codec 'foo'
"""

from __future__ import annotations


class SemcomError(Exception):
    """A user-facing error: its message says what is wrong and how to fix it."""
