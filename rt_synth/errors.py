"""Errors the library raises for input a person gave: the message names the file or value and
says what to do. The CLI prints them as one line, without a traceback, and exits with 2."""


class UserError(Exception):
    """An error caused by input the user gave (a file, a value, a missing install step)."""
