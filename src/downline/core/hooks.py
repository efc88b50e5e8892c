"""Named hooks: how a lower app lets a higher one react, in the same transaction, without
importing it (DESIGN.md rule 11; the layers are checked by ``lint-imports``, see pyproject.toml).

Apps form layers: core, then network and orders (genealogy, orders), then money (ledger,
compensation, payouts), then the tools, web and API on top. A lower app never imports a higher
one. When something it does must be answered by a higher app *inside the same transaction*
(a return after close must claw back commissions before the return commits; a sponsor change must
move the live volumes along), the lower app fires a hook declared here, and the higher app
registers a handler for it in its ``AppConfig.ready()``::

    # orders/actions.py (fires; knows nothing of compensation)
    hooks.RETURN_AFTER_CLOSE.fire(refund=refund)

    # compensation/apps.py (reacts)
    def ready(self):
        from downline.core import hooks
        from .clawbacks import on_return_after_close
        hooks.RETURN_AFTER_CLOSE.register(on_return_after_close, key="compensation.claw_back")

Rules:

* Every hook is declared in this module, with the arguments it passes and who fires it; the name
  and the arguments are the contract between the two apps.
* ``fire`` calls the handlers in the order they registered, with keyword arguments only, and
  returns their results in that order. An exception in a handler propagates to the firing
  action, whose transaction rolls back: nothing partial is written (rule 6).
* A hook declared ``in_transaction`` may only be fired inside ``transaction.atomic``: its
  handlers' writes belong to the firing action.
* A hook declared ``required`` refuses to fire with no handler registered (a missing app would
  otherwise silently lose the clawback or leave the volumes on the old upline).
* ``register`` with the same ``key`` again replaces the handler (``ready()`` may run twice).

Hooks are for synchronous reactions that must commit or roll back together with the action.
Everything that may happen later (notifications, webhooks, points, contests) reads the outbox
instead (``core.events``): the action records an event and consumers pick it up once each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

Handler = Callable[..., Any]


class HookError(RuntimeError):
    """A hook fired where it may not be (no handler, outside a transaction)."""


class Hook:
    """A named point where a lower app lets registered handlers react (see the module rules)."""

    def __init__(
        self, name: str, *, arguments: tuple[str, ...], required: bool, in_transaction: bool
    ) -> None:
        self.name = name
        self.arguments = arguments
        self.required = required
        self.in_transaction = in_transaction
        self._handlers: dict[str, Handler] = {}

    def __repr__(self) -> str:
        return f"<Hook {self.name}>"

    def register(self, handler: Handler, *, key: str) -> None:
        """Call ``handler(**arguments)`` whenever the hook fires; ``key`` names the handler
        (registering the same key again replaces it)."""
        self._handlers[key] = handler

    def unregister(self, key: str) -> None:
        """Forget the handler registered under ``key`` (no error when there is none)."""
        self._handlers.pop(key, None)

    @property
    def handlers(self) -> dict[str, Handler]:
        """The registered handlers by key, in registration order (a copy)."""
        return dict(self._handlers)

    def fire(self, **arguments: Any) -> list[Any]:
        """Call every handler with ``arguments``; their results, in registration order."""
        if set(arguments) != set(self.arguments):
            raise HookError(
                f"hook {self.name} takes the arguments {', '.join(self.arguments)}; "
                f"it was fired with {', '.join(sorted(arguments)) or 'none'}"
            )
        if self.in_transaction and not transaction.get_connection().in_atomic_block:
            raise HookError(
                f"hook {self.name} must fire inside the transaction of the action that fires it"
            )
        if self.required and not self._handlers:
            raise HookError(
                f"hook {self.name} has no handler; the app that reacts to it is not installed "
                "or its AppConfig.ready() did not register one"
            )
        return [handler(**arguments) for handler in list(self._handlers.values())]


RETURN_AFTER_CLOSE = Hook(
    "return_after_close",
    arguments=("refund",),
    required=True,
    in_transaction=True,
)
"""Fired by ``orders.actions.do_return_order`` when the returned order's period is closed,
inside the return's transaction, with ``refund`` (the return ``Order``, already saved). The
closed period keeps its volumes; compensation claws back the commissions the order produced
(``compensation.clawbacks.do_claw_back``)."""

SUBTREE_MOVING = Hook(
    "subtree_moving",
    arguments=("period_ids", "tree", "starts"),
    required=True,
    in_transaction=True,
)
"""Fired by ``genealogy.actions`` before a member's sponsor (``tree="enrollment"``) or
placement parent (``tree="placement"``) changes, with the open ``period_ids`` and the members
whose upline chains will change (``starts``: the member and the new parent). The orders app
locks the live-volume rows of those chains in (period, member) order, the order its writers use,
so a move and concurrent orders never deadlock."""

SUBTREE_MOVED = Hook(
    "subtree_moved",
    arguments=("period_ids", "member_id", "tree", "old_parent_id", "new_parent_id"),
    required=True,
    in_transaction=True,
)
"""Fired by ``genealogy.actions`` right after a member's sponsor or placement parent changed
(the network lock held exclusively), with the open ``period_ids``. The orders app moves the
subtree's group volume from the old parent's chain to the new one
(``orders.volumes.shift_subtree_volumes``)."""

SPONSOR_PATHS_REBUILT = Hook(
    "sponsor_paths_rebuilt",
    arguments=(),
    required=False,
    in_transaction=False,
)
"""Fired by ``genealogy.sponsor_path.rebuild_all`` after it rewrote stored sponsor paths (a
repair, a bulk load), in the caller's transaction if there is one. Apps that keep a copy of
the paths (the academy's training summaries) copy them again; a sponsor move of one subtree
fires ``SUBTREE_MOVED`` instead."""

LEDGER_CHECKS = Hook(
    "ledger_checks",
    arguments=("deep",),
    required=False,
    in_transaction=False,
)
"""Fired by ``ledger.checks.violations`` (``downline ledger check``): each handler returns a
list of sentences, one per broken invariant that involves its app's rows (compensation checks
that final runs and clawbacks reconcile with what they posted). ``deep`` asks for the slow
checks as well."""

CERTIFICATES_HELD = Hook(
    "certificates_held",
    arguments=("keys", "on"),
    required=False,
    in_transaction=False,
)
"""Fired by ``compensation`` (``inputs.certificate_holders``) when the plan of a run requires
certificates (``requires: {certificate: …}`` on a rank or a bonus), with ``keys`` (a tuple of
certificate keys, e.g. ``("compliance-basics",)``) and ``on`` (a ``date``: the period's last
day). Each handler returns ``dict[str, list[int]]``: certificate key → primary keys of the
``genealogy.Distributor`` rows holding a valid certificate (earned, not revoked, not expired) on
that date. The academy registers the handler; with none registered nobody holds any certificate
and the run warns that the plan requires certificates."""
