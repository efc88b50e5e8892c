"""Signals of the period lifecycle.

``period_reopening`` is sent (``sender=Period``, ``period=…``) inside ``do_reopen_period`` before
anything changes. A receiver returns a sentence saying what depends on the closed period (for
example, posted commission results) to refuse the reopen, or ``None`` to allow it. Apps that
build on closed periods connect a receiver; the periods app does not need to know them.

``period_closing`` is sent (``sender=Period``, ``period=…``) inside ``do_close_period`` once the
period row is locked ``FOR UPDATE`` (every write into it has committed, new ones wait) and just
before it is marked closed. A receiver finishes what the period still owes (the orders app folds
its pending live-volume changes); an exception refuses the close and nothing changes.
"""

from django.dispatch import Signal

period_reopening = Signal()
period_closing = Signal()
