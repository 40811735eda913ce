"""Why a PIN, or a wall display's one-time code, was not taken, in words a person can read
(``message``)."""


class PinError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidPin(PinError):
    """A new PIN the rules do not allow: not 4 to 6 digits, or too easy to guess."""


class PinRefused(PinError):
    """A wrong PIN, or a PIN locked after too many wrong ones."""


class PinLocked(PinRefused):
    """Refused whatever the PIN: the person's PIN is locked, or PINs from this device are
    paused. Said as it is even where a wrong PIN is not (a person must know to wait)."""


class PairingRefused(Exception):
    """A wall display's one-time code that does not enrol it (``message`` says why)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
