"""The ``attnseq`` command: one module per subcommand; each parses, calls the library, prints."""

from attnseq.cli.commands import main

__all__ = ["main"]
