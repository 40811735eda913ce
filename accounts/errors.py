"""Why a PIN was not taken, in words a nurse can read (``message``)."""


class PinError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidPin(PinError):
    """A new PIN the rules do not allow: not 4 to 6 digits, or too easy to guess."""


class PinRefused(PinError):
    """A wrong PIN, or a PIN locked after too many wrong ones."""
