"""``lumbung-server`` subcommands, one module per area, each with ``add_parsers`` and ``dispatch``."""
