"""``python -m bot`` is the same as the ``alliance-bot`` console script."""

from bot.cli import main

raise SystemExit(main())
