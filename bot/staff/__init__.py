"""Coordinators and admins in Telegram: roles, triage, notes, status, statistics."""
