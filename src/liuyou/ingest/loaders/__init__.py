"""Loaders: one per source whose target tables exist. A source without a loader can only
be validated (`liuyou import --validate-only`); it is never pretended to load."""

from __future__ import annotations

from liuyou.ingest.loaders.base import Loader


def get(source: str) -> Loader | None:
    # Imported on demand: loaders import the models of the apps they write to.
    if source == "org":
        from liuyou.ingest.loaders.org import OrgLoader

        return OrgLoader()
    if source == "staff":
        from liuyou.ingest.loaders.staff import StaffLoader

        return StaffLoader()
    if source == "village":
        from liuyou.ingest.loaders.village import VillageLoader

        return VillageLoader()
    return None


READY = frozenset({"org", "staff", "village"})
