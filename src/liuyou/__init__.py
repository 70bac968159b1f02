"""六有 Liuyou: credit management and precision marketing for county rural commercial banks."""

__version__ = "0.1.0"
