"""Tests of the job workers and their helpers (validation, e-mail templates, mailer)."""
