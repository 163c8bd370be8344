"""The domain: questionnaire, case workflow, alerting policy.

Plain Python. Nothing here imports Telegram or SQLAlchemy (a test enforces it): the transport
(`bot.telegram`) turns updates into calls on this layer, and storage (`storage`) implements the
ports declared in `bot.domain.ports`.
"""
