"""Sub-commands of ``lumbung-server`` that live in their own modules (``add_parsers`` + ``dispatch``)."""
