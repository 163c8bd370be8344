"""Alerting lawyers: the durable outbox worker, the case card, claims, escalation, surges."""
