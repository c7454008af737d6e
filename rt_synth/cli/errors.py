"""User-facing errors: a message that names the file or value and says what to do."""


class UserError(Exception):
    """An error caused by input the user gave. The CLI prints it without a traceback and
    exits with status 2."""
