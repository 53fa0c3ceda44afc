"""Loads a demo world's export files into the warehouse's raw schemas (see source.py)."""
