"""The sandbox page: ``index.html``, ``sandbox.css`` and ``sandbox.js`` (package data)."""
