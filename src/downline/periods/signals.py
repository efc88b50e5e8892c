"""Signals of the period lifecycle.

``period_reopening`` is sent (``sender=Period``, ``period=…``) inside ``do_reopen_period`` before
anything changes. A receiver returns a sentence saying what depends on the closed period (for
example, posted commission results) to refuse the reopen, or ``None`` to allow it. Apps that
build on closed periods connect a receiver; the periods app does not need to know them.
"""

from django.dispatch import Signal

period_reopening = Signal()
