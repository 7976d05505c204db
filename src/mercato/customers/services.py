"""Customers and their addresses."""

import re
from dataclasses import dataclass

import phonenumbers
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from mercato.core.audit import acting_as
from mercato.core.errors import ValidationFailed
from mercato.core.regions import normalize_area

from .models import Address, Channel, Customer
from .phones import normalize_cn_mobile
from .selectors import cities_of, districts_of, region_tree

User = get_user_model()

# Labels people paste along with the values ("收货人：张三"); removed before parsing.
LABELS = re.compile(
    r"(收货人|收件人|联系人|姓名|手机号码|手机号|联系电话|电话|手机|所在地区|详细地址|"
    r"收货地址|地址|邮政编码|邮编)\s*[:：]?"
)
SEPARATORS = re.compile(r"[\s,，;；|/、]+")
POSTCODE = re.compile(r"^\d{6}$")
NAME_MAX_CHARS = 12


def validate_cn_mobile(value, *, field: str = "mobile") -> str:
    """The 11-digit national number of a mainland mobile, or ValidationFailed naming `field`."""
    normalized = normalize_cn_mobile(value)
    if normalized is None:
        raise ValidationFailed(
            {field: [_("Enter a valid mainland China mobile number, e.g. 13812345678.")]}
        )
    return normalized


@dataclass(frozen=True)
class ParsedAddress:
    recipient: str = ""
    mobile: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    detail: str = ""
    postcode: str = ""

    @property
    def is_complete(self) -> bool:
        return all((self.recipient, self.mobile, self.province, self.city, self.detail))


def _find_mobile(text: str) -> tuple[str, str]:
    """(mobile, text with the number cut out as a separator); mobile '' when none is found."""
    for match in phonenumbers.PhoneNumberMatcher(text, "CN"):
        mobile = normalize_cn_mobile(match.raw_string)
        if mobile:
            return mobile, text[: match.start] + " " + text[match.end :]
    return "", text


def _areas(texts: list[str]) -> list[tuple[str, str, str, str]]:
    """cpca's (province, city, district, rest) for each text; '' where it found nothing."""
    import cpca  # pulls in pandas: only load it when an address is parsed

    frame = cpca.transform(texts)
    result = []
    for province, city, district, rest in zip(
        frame["省"], frame["市"], frame["区"], frame["地址"], strict=True
    ):
        province, city, district = (
            x if isinstance(x, str) else "" for x in (province, city, district)
        )
        if province and city and district:
            province, city, district = normalize_area(province, city, district)
        result.append((province, city, district, rest if isinstance(rest, str) else ""))
    return result


def parse_address(text: str) -> ParsedAddress:
    """Split a pasted "张三 13812345678 广东省深圳市南山区科技园科苑路15号" into its parts.

    The mobile is found by phonenumbers, the region by cpca (which also infers the province
    from a city); the recipient is the short token that names no region. Parts that cannot
    be found are left empty: the caller shows the form for the customer to complete.
    """
    text = (text or "").strip()
    if not text:
        return ParsedAddress()
    mobile, rest = _find_mobile(text)
    tokens = [t for t in SEPARATORS.split(LABELS.sub(" ", rest)) if t]
    postcode = next((t for t in tokens if POSTCODE.match(t)), "")
    tokens = [t for t in tokens if t != postcode]
    if not tokens:
        return ParsedAddress(mobile=mobile, postcode=postcode)
    areas = _areas(tokens)
    # The address is the token in which cpca finds the most (district, city, province);
    # the recipient is a short token without digits among the others, preferring one that
    # names no region (a person may be called 金华, like the city), and the first token
    # (people write the name first) over the last.
    best = max(range(len(tokens)), key=lambda i: ([bool(x) for x in areas[i][2::-1]], -i))
    short = [
        i
        for i, token in enumerate(tokens)
        if i != best and len(token) <= NAME_MAX_CHARS and not any(c.isdigit() for c in token)
    ]
    candidates = [i for i in short if not areas[i][0]] or short
    recipient = ""
    if candidates:
        index = candidates[0] if candidates[0] == 0 else candidates[-1]
        recipient = tokens.pop(index)
    address_text = "".join(tokens)
    province, city, district, detail = _areas([address_text])[0]
    if not province:
        detail = address_text
    return ParsedAddress(
        recipient=recipient,
        mobile=mobile,
        province=province,
        city=city,
        district=district,
        detail=detail.strip(),
        postcode=postcode,
    )


def _full_clean(instance, **kwargs) -> None:
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        raise ValidationFailed(exc.message_dict) from exc


def normalize_email(value, *, field: str = "email") -> str:
    """The address in lower case, or ValidationFailed naming `field`."""
    email = str(value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationFailed({field: [_("Enter a valid email address.")]}) from exc
    return email


def _check_password(password: str, user=None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed({"password": list(exc.messages)}) from exc


@transaction.atomic
def create_customer(
    *,
    mobile: str | None = None,
    email: str | None = None,
    name: str = "",
    channel: str = Channel.WEB,
    password: str | None = None,
    **fields,
) -> Customer:
    """A customer account with a mobile number, an email address or both; the log-in name
    (User.username) is the mobile number, else the email address."""
    mobile = validate_cn_mobile(mobile) if mobile else None
    email = normalize_email(email) if email else None
    if not (mobile or email):
        raise ValidationFailed({"mobile": [_("Enter a mobile number or an email address.")]})
    username = mobile or email
    if mobile and Customer.objects.filter(mobile=mobile).exists():
        raise ValidationFailed({"mobile": [_("An account with this mobile number exists.")]})
    if email and Customer.objects.filter(email=email).exists():
        raise ValidationFailed({"email": [_("An account with this email address exists.")]})
    if User.objects.filter(username=username).exists():
        # A staff member's log-in name: they need a customer account of their own.
        field = "mobile" if mobile else "email"
        raise ValidationFailed({field: [_("This name is already taken by another account.")]})
    user = User(username=username, display_name=name, email=email or "", phone=mobile or "")
    if password:
        _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    customer = Customer(user=user, mobile=mobile, email=email, name=name, channel=channel, **fields)
    _full_clean(customer, exclude=["user"])
    customer.save()
    return customer


@transaction.atomic
def add_address(
    *, actor, customer_id: int, recipient: str, mobile: str, province: str, city: str,
    district: str, detail: str, postcode: str = "", is_default: bool = False,
) -> Address:  # fmt: skip
    """A new address; the first one, or one marked default, becomes the only default."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    fields = _address_fields(
        recipient=recipient, mobile=mobile, province=province, city=city,
        district=district, detail=detail, postcode=postcode,
    )  # fmt: skip
    first = not customer.addresses.exists()
    with acting_as(actor):
        address = Address(customer=customer, is_default=is_default or first, **fields)
        _full_clean(address, exclude=["customer"])
        if address.is_default:
            customer.addresses.filter(is_default=True).update(is_default=False)
        address.save()
    return address


def check_region(*, province: str, city: str, district: str) -> None:
    """The three names must be one mainland district in cpca's data; the error names the
    first field that does not fit."""
    if province not in region_tree():
        raise ValidationFailed({"province": [_("Choose a province.")]})
    if city not in cities_of(province):
        raise ValidationFailed({"city": [_("Choose a city in this province.")]})
    if district not in districts_of(province, city):
        raise ValidationFailed({"district": [_("Choose a district in this city.")]})


def _address_fields(*, recipient, mobile, province, city, district, detail, postcode) -> dict:
    check_region(province=province, city=city, district=district)
    return {
        "recipient": (recipient or "").strip(),
        "mobile": validate_cn_mobile(mobile),
        "province": province,
        "city": city,
        "district": district,
        "detail": (detail or "").strip(),
        "postcode": (postcode or "").strip(),
    }


@transaction.atomic
def update_address(
    *, actor, customer_id: int, address_id: int, recipient: str, mobile: str, province: str,
    city: str, district: str, detail: str, postcode: str = "", is_default: bool = False,
) -> Address:  # fmt: skip
    """Change one of the customer's addresses; marking it default unmarks the others."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    address = customer.addresses.get(pk=address_id)
    fields = _address_fields(
        recipient=recipient, mobile=mobile, province=province, city=city,
        district=district, detail=detail, postcode=postcode,
    )  # fmt: skip
    with acting_as(actor):
        for name, value in fields.items():
            setattr(address, name, value)
        _full_clean(address, exclude=["customer", "is_default"])
        if is_default and not address.is_default:
            customer.addresses.filter(is_default=True).update(is_default=False)
            address.is_default = True
        address.save()
    return address


@transaction.atomic
def set_default_address(*, actor, customer_id: int, address_id: int) -> Address:
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    address = customer.addresses.get(pk=address_id)
    with acting_as(actor):
        customer.addresses.filter(is_default=True).exclude(pk=address.pk).update(is_default=False)
        address.is_default = True
        address.save(update_fields=["is_default", "updated_at"])
    return address


@transaction.atomic
def delete_address(*, actor, customer_id: int, address_id: int) -> None:
    """Remove an address; when it was the default, the oldest remaining one becomes default."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    address = customer.addresses.get(pk=address_id)
    with acting_as(actor):
        was_default = address.is_default
        address.delete()
        if was_default:
            successor = customer.addresses.order_by("id").first()
            if successor:
                successor.is_default = True
                successor.save(update_fields=["is_default", "updated_at"])


@transaction.atomic
def update_profile(
    *, actor, customer_id: int, name: str, gender: str, birthday=None, email: str = ""
) -> Customer:
    """The customer's own name, gender, birthday and email address."""
    customer = Customer.objects.select_for_update().select_related("user").get(pk=customer_id)
    email = normalize_email(email) if email else None
    if email and Customer.objects.filter(email=email).exclude(pk=customer.pk).exists():
        raise ValidationFailed({"email": [_("An account with this email address exists.")]})
    if not email and not customer.mobile:
        raise ValidationFailed({"email": [_("An account without a mobile number needs one.")]})
    with acting_as(actor):
        customer.name = (name or "").strip()
        customer.gender = gender
        customer.birthday = birthday
        customer.email = email
        _full_clean(customer, exclude=["user"])
        customer.save()
        customer.user.email = email or ""
        customer.user.display_name = customer.name
        customer.user.save(update_fields=["email", "display_name"])
    return customer
