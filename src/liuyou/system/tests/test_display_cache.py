"""The display caches (dictionary labels, industries): kept in the process for a bounded
time, forgotten at once by the process that edits a dictionary, never filled from inside a
transaction."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from liuyou.system import selectors, services
from liuyou.system.models import DictItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(monkeypatch):
    """Reads count as committed (as in a page view outside any transaction), on a clock the
    test moves; the caches start and end empty."""
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(selectors, "_committed_reads", lambda: True)
    monkeypatch.setattr(selectors, "time", SimpleNamespace(monotonic=lambda: clock.now))
    selectors.forget_display_caches()
    yield clock
    selectors.forget_display_caches()


def _farmer() -> DictItem:
    return DictItem.objects.get(dict_type__code="segment", value="farmer")


def test_labels_are_read_once_while_fresh(kept, django_assert_num_queries):
    with django_assert_num_queries(1):
        first = selectors.display_labels("segment")
    with django_assert_num_queries(0):
        assert selectors.display_labels("segment") == first
        assert selectors.display_labels("customer_type")
    assert first["farmer"] == _farmer().label


def test_nothing_is_kept_inside_a_transaction(django_assert_num_queries):
    selectors._dictionaries.forget()
    for _ in range(2):  # the test runs inside a transaction: every read goes to the database
        with django_assert_num_queries(1):
            selectors.display_labels("segment")


def test_an_edit_shows_at_once_in_the_editing_process(kept, role_users):
    assert selectors.display_labels("segment")["farmer"] != "种养农户"
    services.update_dict_item(item=_farmer(), label="种养农户", actor=role_users["system_admin"])
    assert selectors.display_labels("segment")["farmer"] == "种养农户"


def test_an_edit_elsewhere_shows_within_the_bound(kept):
    old = selectors.display_labels("segment")["farmer"]
    # Another server process relabels: this one is not told.
    DictItem.objects.filter(pk=_farmer().pk).update(label="种养农户")
    kept.now += selectors.DISPLAY_CACHE_SECONDS - 1
    assert selectors.display_labels("segment")["farmer"] == old
    kept.now += 2
    assert selectors.display_labels("segment")["farmer"] == "种养农户"


def test_the_commit_forgets_again(kept, role_users, django_capture_on_commit_callbacks):
    """A read racing the edit's commit (another thread, before the commit) may have kept the
    old labels; the commit drops them."""
    with django_capture_on_commit_callbacks(execute=True):
        services.update_dict_item(item=_farmer(), label="种养农户", actor=role_users["system_admin"])
        selectors._dictionaries._entry = (kept.now + 30, {"segment": {"farmer": "旧标签"}})
    assert selectors.display_labels("segment")["farmer"] == "种养农户"


def test_a_read_under_way_during_forget_is_not_kept(kept):
    calls = []

    def load():
        calls.append(1)
        if len(calls) == 1:
            cache.forget()  # an edit lands while the first read is running
        return len(calls)

    cache = selectors.DisplayCache(load)
    assert cache.get() == 1
    assert cache.get() == 2  # the first value was not kept
    assert cache.get() == 2


def test_every_dictionary_service_forgets(kept, role_users, monkeypatch):
    forgotten = []
    monkeypatch.setattr(selectors, "forget_dictionaries", lambda: forgotten.append(1))
    actor = role_users["system_admin"]
    dict_type = services.create_dict_type(code="crop", name="作物", actor=actor)
    services.update_dict_type(dict_type=dict_type, name="主要作物", actor=actor)
    item = services.create_dict_item(dict_type=dict_type, value="apple", label="苹果", actor=actor)
    services.update_dict_item(item=item, label="红富士", actor=actor)
    services.disable_dict_item(item=item, actor=actor)
    services.enable_dict_item(item=item, actor=actor)
    services.disable_dict_type(dict_type=dict_type, actor=actor)
    services.enable_dict_type(dict_type=dict_type, actor=actor)
    assert len(forgotten) == 8
