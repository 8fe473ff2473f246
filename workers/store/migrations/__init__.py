"""Alembic migrations of the application store (applied by `workers.store.upgrade`)."""
