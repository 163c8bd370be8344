"""The sandbox: try the bot without Telegram, in a browser.

``intake-bot sandbox`` (``make sandbox``) starts three things in one process:

* the local Bot API stand-in (``bot/standin/``) in place of Telegram;
* the real bot against it, built exactly as ``intake-bot run`` builds it (``open_runtime`` and
  ``serve``, the same questionnaire, the same encryption), on SQLite with a fresh keyring in a
  temporary directory unless ``--data-dir`` names one;
* a web page on 127.0.0.1 showing a reporter, a lawyer and a coordinator side by side, each a
  chat client of the stand-in's test-facing API (``/_standin/``), reached through this package's
  small web app (``web.py``), which serves the page and lets each browser session act only as its
  own reporter and the shared staff.

``cast.py`` creates the people and the lawyers' group, ``web.py`` is the page's server,
``runner.py`` starts and stops everything, ``static/`` holds the page.
"""

from bot.sandbox.runner import run_sandbox

__all__ = ["run_sandbox"]
