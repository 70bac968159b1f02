"""Templates are compiled once per process: the cached loader is on whatever DEBUG says
(Django's default when no loaders are configured), so `liuyou serve` never re-reads them."""

from __future__ import annotations

from django.template import engines


def test_templates_use_the_cached_loader():
    loaders = engines["django"].engine.loaders
    assert loaders[0][0] == "django.template.loaders.cached.Loader"
