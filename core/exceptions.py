from django.core.exceptions import ValidationError


class BusinessRuleError(ValidationError):
    """A rule of the law or of the convention refuses the operation.

    The message is in French and is meant to be shown to the user as it is.
    """
