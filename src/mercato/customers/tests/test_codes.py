from datetime import timedelta

import pytest
from django.utils import timezone

from mercato.core.errors import ValidationFailed
from mercato.customers import accounts
from mercato.customers.codes import issue_code, verify_code
from mercato.customers.models import CodePurpose, OneTimeCode
from mercato.customers.services import create_customer

pytestmark = pytest.mark.django_db
MOBILE = "13812345678"


def _error(exc_info) -> str:
    return exc_info.value.field_errors["code"][0]


def test_code_is_six_digits_and_only_its_hash_is_stored():
    """A code has six digits; the database keeps a hash, never the code itself."""
    code = issue_code(mobile=MOBILE, purpose=CodePurpose.LOGIN)
    assert len(code) == 6 and code.isdigit()
    row = OneTimeCode.objects.get()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.expires_at - row.created_at == timedelta(minutes=5)


def test_right_code_is_accepted_once():
    """A code works once; using it again is refused as already used."""
    code = issue_code(mobile=MOBILE, purpose=CodePurpose.LOGIN)
    verify_code(mobile=MOBILE, purpose=CodePurpose.LOGIN, code=code)
    with pytest.raises(ValidationFailed) as exc:
        verify_code(mobile=MOBILE, purpose=CodePurpose.LOGIN, code=code)
    assert "已使用" in _error(exc)


def test_wrong_code_is_refused_and_counted():
    """A wrong code is refused and counted against the code's attempts."""
    code = issue_code(mobile=MOBILE, purpose=CodePurpose.LOGIN)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(ValidationFailed) as exc:
        verify_code(mobile=MOBILE, purpose=CodePurpose.LOGIN, code=wrong)
    assert "验证码错误" in _error(exc)
    assert OneTimeCode.objects.get().attempts == 1


def test_expired_code_is_refused():
    """After five minutes the right code no longer works."""
    code = issue_code(mobile=MOBILE, purpose=CodePurpose.LOGIN)
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationFailed) as exc:
        verify_code(mobile=MOBILE, purpose=CodePurpose.LOGIN, code=code)
    assert "已过期" in _error(exc)


def test_too_many_wrong_codes_lock_the_code(settings):
    """After the allowed number of wrong guesses even the right code is refused."""
    code = issue_code(mobile=MOBILE, purpose=CodePurpose.LOGIN)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _i in range(settings.MERCATO_CODE_MAX_ATTEMPTS):
        with pytest.raises(ValidationFailed):
            verify_code(mobile=MOBILE, purpose=CodePurpose.LOGIN, code=wrong)
    with pytest.raises(ValidationFailed) as exc:
        verify_code(mobile=MOBILE, purpose=CodePurpose.LOGIN, code=code)
    assert "次数过多" in _error(exc)


def test_a_new_code_replaces_the_old_one_and_purposes_do_not_mix():
    """Only the newest code counts, and a sign-up code cannot log in."""
    old = issue_code(mobile=MOBILE, purpose=CodePurpose.LOGIN)
    new = issue_code(mobile=MOBILE, purpose=CodePurpose.LOGIN)
    if old != new:
        with pytest.raises(ValidationFailed):
            verify_code(mobile=MOBILE, purpose=CodePurpose.LOGIN, code=old)
    signup = issue_code(mobile=MOBILE, purpose=CodePurpose.SIGNUP)
    with pytest.raises(ValidationFailed):
        verify_code(mobile=MOBILE, purpose=CodePurpose.RESET, code=signup)
    verify_code(mobile=MOBILE, purpose=CodePurpose.LOGIN, code=new)


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "abcdef"])
def test_malformed_code_names_the_code_field(bad):
    """A code that is not six digits is refused on the code field, without using an attempt."""
    issue_code(mobile=MOBILE, purpose=CodePurpose.LOGIN)
    with pytest.raises(ValidationFailed) as exc:
        verify_code(mobile=MOBILE, purpose=CodePurpose.LOGIN, code=bad)
    assert "6 位" in _error(exc)
    assert OneTimeCode.objects.get().attempts == 0


def test_log_in_and_reset_codes_go_only_to_registered_numbers(sms_outbox):  # noqa: F811
    """Log-in and reset codes are sent only to numbers with an account; sign-up codes only
    to numbers without one."""
    assert accounts.send_sms_code(mobile=MOBILE, purpose=CodePurpose.LOGIN) is False
    assert accounts.send_sms_code(mobile=MOBILE, purpose=CodePurpose.SIGNUP) is True
    create_customer(mobile=MOBILE)
    with pytest.raises(ValidationFailed) as exc:
        accounts.send_sms_code(mobile=MOBILE, purpose=CodePurpose.SIGNUP)
    assert "mobile" in exc.value.field_errors
    assert accounts.send_sms_code(mobile=MOBILE, purpose=CodePurpose.RESET) is True
    assert [m.purpose for m in sms_outbox] == ["signup", "reset"]
