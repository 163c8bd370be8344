"""Command-line operations beside the bot: sealed exports for the legal team, audit verification,
retention. `python -m bot.ops --help`; also plugged into `intake-bot` (see `bot.ops.cli`)."""
