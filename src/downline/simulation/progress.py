"""A plain-text progress bar on standard error.

On a terminal the bar redraws one line (``simulate [#######.......] 120/480 months 00:14``);
elsewhere (a log, a pipe) it prints a line at every further 10% so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from downline.i18n import gettext as _

WIDTH = 30


class ProgressBar:
    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(1, total)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.started = time.perf_counter()
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last_tenth = -1
        self.finished = False

    def _line(self) -> str:
        filled = WIDTH * self.done // self.total
        elapsed = int(time.perf_counter() - self.started)
        return _("%(label)s [%(bar)s] %(done)d/%(total)d months %(minutes)02d:%(seconds)02d") % {
            "label": self.label,
            "bar": "#" * filled + "." * (WIDTH - filled),
            "done": self.done,
            "total": self.total,
            "minutes": elapsed // 60,
            "seconds": elapsed % 60,
        }

    def advance(self, steps: int = 1) -> None:
        self.done = min(self.total, self.done + steps)
        if self.interactive:
            self.stream.write("\r" + self._line())
            self.stream.flush()
            return
        tenth = 10 * self.done // self.total
        if tenth > self.last_tenth:
            self.last_tenth = tenth
            self.stream.write(self._line() + "\n")
            self.stream.flush()

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        if self.done < self.total:
            self.done = self.total - 1
            self.advance()
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()
