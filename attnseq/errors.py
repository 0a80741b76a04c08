"""Errors that the command line reports as one line (exit code 2) instead of a traceback."""


class AttnseqError(ValueError):
    """A user-facing error: bad input data, a bad option, a missing or corrupt model directory.

    The message is a single line that says what is wrong and where (a file and line number, the
    offending character, the limit that was exceeded), so the CLI can print it as is. It derives
    from ValueError so that library callers who already catch ValueError keep working.
    """
