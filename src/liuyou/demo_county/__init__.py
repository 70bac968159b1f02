"""The demo county: a realistic county bank's source extracts (every source of
shared/extracts.md), generated from a seed so that the same seed gives the same bytes.
See docs/demo-county.md."""

from liuyou.demo_county.generator import generate
from liuyou.demo_county.output import FileEntry, Manifest

__all__ = ["FileEntry", "Manifest", "generate"]
