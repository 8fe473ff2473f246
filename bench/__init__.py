"""Benchmarks: scripts that print figures (run as `.venv/bin/python bench/engine.py`), never tests."""
