"""site-gen: publish a fact base of curated YAML records as a static website and open data."""

from __future__ import annotations

__version__ = "0.1.0"
