"""Small helpers shared by tests."""


def luhn_complete(base: str) -> str:
    """``base`` followed by the digit that makes the whole number pass the Luhn check."""
    for digit in "0123456789":
        candidate = base + digit
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")
