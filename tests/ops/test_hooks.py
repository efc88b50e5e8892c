"""``core.hooks``: a named hook calls its handlers in order, with exactly its arguments, inside
the firing action's transaction, and refuses to fire when a required reaction is missing."""

from __future__ import annotations

import pytest
from django.db import transaction

from downline.core import hooks
from downline.core.hooks import Hook, HookError


def test_handlers_run_in_registration_order_and_return_their_results():
    hook = Hook("checks", arguments=("deep",), required=False, in_transaction=False)
    hook.register(lambda *, deep: ["first", deep], key="a")
    hook.register(lambda *, deep: ["second"], key="b")
    hook.register(lambda *, deep: ["first again", deep], key="a")  # same key: replaced in place
    assert hook.fire(deep=True) == [["first again", True], ["second"]]


def test_an_optional_hook_without_handlers_fires_nothing():
    hook = Hook("optional", arguments=("deep",), required=False, in_transaction=False)
    assert hook.fire(deep=False) == []


def test_a_required_hook_without_a_handler_refuses_to_fire():
    hook = Hook("needed", arguments=("refund",), required=True, in_transaction=False)
    with pytest.raises(HookError, match="hook needed has no handler"):
        hook.fire(refund=1)


def test_a_hook_fired_with_other_arguments_names_the_expected_ones():
    hook = Hook("moved", arguments=("member_id", "tree"), required=False, in_transaction=False)
    with pytest.raises(
        HookError, match=r"takes the arguments member_id, tree; it was fired with member, tree"
    ):
        hook.fire(member=1, tree="enrollment")


@pytest.mark.django_db(transaction=True)
def test_an_in_transaction_hook_fires_only_inside_a_transaction():
    hook = Hook("inside", arguments=("refund",), required=True, in_transaction=True)
    hook.register(lambda *, refund: refund, key="echo")
    with pytest.raises(HookError, match="must fire inside the transaction"):
        hook.fire(refund=1)
    with transaction.atomic():
        assert hook.fire(refund=1) == [1]


def test_the_installed_apps_handle_every_required_hook():
    """Without these handlers a return after close or a sponsor move would be refused."""
    assert "compensation.claw_back" in hooks.RETURN_AFTER_CLOSE.handlers
    assert "orders.lock_chain_volumes" in hooks.SUBTREE_MOVING.handlers
    assert "orders.follow_moved_subtree" in hooks.SUBTREE_MOVED.handlers
    assert "compensation.reconcile" in hooks.LEDGER_CHECKS.handlers
