"""The CLI's own error: a problem with the command's input (a file), reported
like a domain error (one line, exit status 2)."""


class CliError(Exception):
    """A problem with the command's own input (a file), reported like a domain error."""
