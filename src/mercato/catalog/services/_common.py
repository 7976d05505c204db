from django.core.exceptions import ValidationError

from mercato.core.errors import ValidationFailed


def full_clean_or_fail(instance, **kwargs) -> None:
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        raise ValidationFailed(exc.message_dict) from exc
