"""The finance pages of the back office: list, detail, refund form, mark reviewed."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from mercato.orders.models import Order
from mercato.orders.services import expire_unpaid_order
from mercato.payments.models import PaymentNotice, Refund
from mercato.payments.services import handle_notice
from mercato.testing.payments import make_payment, paid_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance_client(client, make_staff):
    client.force_login(make_staff("finance"))
    return client


def refund_form(client, payment):
    page = client.get(f"/backoffice/payments/{payment.pk}/").content.decode()
    return re.search(r'name="refund_no"[^>]*value="([^"]+)"', page).group(1)


def test_the_list_filters_and_keeps_its_query_budget(
    finance_client, counterpart, django_assert_max_num_queries
):
    for _ in range(5):
        paid_payment(method="sandbox")
    flagged = make_payment(method="sandbox")
    flagged.needs_review = True
    flagged.save()
    with django_assert_max_num_queries(8):
        response = finance_client.get("/backoffice/payments/")
    assert response.status_code == 200 and response.content.decode().count("P2026") >= 6
    assert "支付与退款" in response.content.decode()  # Chinese first
    only = finance_client.get("/backoffice/payments/", {"needs_review": "yes"}).content.decode()
    assert flagged.number in only and only.count('class="flagged"') == 1
    paid = finance_client.get("/backoffice/payments/", {"status": "pending"}).content.decode()
    assert flagged.number in paid


def test_detail_shows_raw_notices_and_finance_refunds_from_the_form(finance_client, counterpart):
    payment = make_payment(method="sandbox")
    handle_notice(
        gateway="sandbox",
        **dict(zip(("headers", "body"), counterpart.notice(payment), strict=True)),
    )
    page = finance_client.get(f"/backoffice/payments/{payment.pk}/").content.decode()
    assert "out_trade_no=" + payment.number in page  # the raw body
    refund_no = refund_form(finance_client, payment)
    data = {"refund_no": refund_no, "amount": "12.50", "reason": "破损", "restock": ""}
    response = finance_client.post(f"/backoffice/payments/{payment.pk}/refund/", data)
    assert response.status_code == 302
    assert (
        finance_client.post(f"/backoffice/payments/{payment.pk}/refund/", data).status_code == 302
    )
    refund = Refund.objects.get()
    assert refund.refund_no == refund_no and refund.amount == Decimal("12.50")
    assert refund.status == "succeeded"


def test_refund_form_errors_name_the_field_and_change_nothing(finance_client, counterpart):
    payment = paid_payment(method="sandbox")
    refund_no = refund_form(finance_client, payment)
    data = {"refund_no": refund_no, "amount": "9999.00", "reason": "x"}
    response = finance_client.post(f"/backoffice/payments/{payment.pk}/refund/", data)
    assert response.status_code == 400 and not Refund.objects.exists()


def test_refund_by_lines_from_the_form(finance_client, counterpart):
    payment = paid_payment(method="sandbox")
    line = Order.objects.get(pk=payment.order_id).lines.get()
    data = {
        "refund_no": refund_form(finance_client, payment),
        "reason": "少发",
        f"line_{line.pk}": "1",
    }
    assert (
        finance_client.post(f"/backoffice/payments/{payment.pk}/refund/", data).status_code == 302
    )
    refund = Refund.objects.get()
    assert refund.amount == Decimal("99.00") and refund.lines.get().quantity == 1


@pytest.mark.parametrize("department", ["service", "marketing"])
def test_refund_without_the_permission_is_403_and_changes_nothing(
    client, make_staff, counterpart, department
):
    """客服部 may look (service) or not at all (marketing); neither may refund."""
    payment = paid_payment(method="sandbox")
    client.force_login(make_staff(department))
    data = {"refund_no": "R0000000001", "amount": "1.00", "reason": "x"}
    assert client.post(f"/backoffice/payments/{payment.pk}/refund/", data).status_code == 403
    assert not Refund.objects.exists()
    payment.refresh_from_db()
    assert payment.status == "paid"
    expected = 200 if department == "service" else 403
    assert client.get(f"/backoffice/payments/{payment.pk}/").status_code == expected


def test_anonymous_visitors_are_sent_to_log_in(client, counterpart):
    payment = paid_payment(method="sandbox")
    response = client.post(f"/backoffice/payments/{payment.pk}/refund/", {"amount": "1"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Refund.objects.exists()


def test_finance_marks_a_flagged_notice_reviewed(finance_client, client, make_staff, counterpart):
    payment = make_payment(method="sandbox")
    order = payment.order
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now())
    expire_unpaid_order(order_id=order.pk)
    headers, body = counterpart.notice(payment)
    notice, _ = handle_notice(gateway="sandbox", headers=headers, body=body)
    assert notice.needs_review
    page = finance_client.get(f"/backoffice/payments/{payment.pk}/").content.decode()
    assert 'id="payment-flag"' in page
    response = finance_client.post(f"/backoffice/payments/notices/{notice.pk}/reviewed/")
    assert response.status_code == 302
    notice.refresh_from_db()
    payment.refresh_from_db()
    assert not notice.needs_review and notice.reviewed_by is not None
    assert not payment.needs_review


def test_service_cannot_mark_reviewed(client, make_staff, counterpart):
    payment = make_payment(method="sandbox")
    notice = PaymentNotice.objects.create(
        gateway="sandbox", payment=payment, needs_review=True, review_reason="x"
    )
    client.force_login(make_staff("service"))
    assert client.post(f"/backoffice/payments/notices/{notice.pk}/reviewed/").status_code == 403
    notice.refresh_from_db()
    assert notice.needs_review


def test_a_flagged_notice_naming_no_payment_of_ours_is_on_the_list(finance_client, counterpart):
    """A genuine UnionPay refund notice for a refund number we never issued: it names no
    payment, so the list page shows it for finance to review."""
    from types import SimpleNamespace

    stranger = SimpleNamespace(
        refund_no="R9999999999", amount=Decimal("5.00"), payment=SimpleNamespace(trade_no="Q1")
    )
    headers, body = counterpart.unionpay_refund_notice(stranger)
    notice, reply = handle_notice(gateway="unionpay", headers=headers, body=body)
    assert reply.status == 200 and notice.needs_review and notice.payment is None
    page = finance_client.get("/backoffice/payments/").content.decode()
    assert "R9999999999" in page
    finance_client.post(f"/backoffice/payments/notices/{notice.pk}/reviewed/")
    assert "R9999999999" not in finance_client.get("/backoffice/payments/").content.decode()


def test_the_detail_page_keeps_its_query_budget(
    finance_client, counterpart, django_assert_max_num_queries
):
    """Three notices, two refunds with their lines and events: a fixed number of queries."""
    payment = make_payment(method="sandbox")
    for _ in range(3):
        headers, body = counterpart.notice(payment)
        handle_notice(gateway="sandbox", headers=headers, body=body)
    line = Order.objects.get(pk=payment.order_id).lines.get()
    for i in range(2):
        finance_client.post(
            f"/backoffice/payments/{payment.pk}/refund/",
            {"refund_no": f"R000000000{i}", "reason": "x", f"line_{line.pk}": "1"},
        )
    assert payment.refunds.count() == 2
    with django_assert_max_num_queries(17):
        assert finance_client.get(f"/backoffice/payments/{payment.pk}/").status_code == 200


def test_the_finance_queue_shows_refunds_to_act_on_and_finance_settles_them(
    finance_client, make_staff, counterpart, django_assert_max_num_queries
):
    """Abnormal refunds and refunds whose outcome is unknown are listed for finance (a
    settled one is not); finance settles the abnormal one by hand and asks the gateway
    about the unknown one now; 客服部 may do neither."""
    from mercato.payments.services import refund_payment

    finance = make_staff("finance")
    counterpart.refunds_answer_unknown_first()
    wechat = paid_payment(method="wechat_native")
    alipay = paid_payment(method="alipay_page")
    done = paid_payment(method="sandbox")
    counterpart.refunds_succeed()
    abnormal = refund_payment(
        payment=wechat, refund_no="R0000000001", amount="5.00", reason="x", actor=finance
    )
    headers, body = counterpart.wechat_refund_notice(wechat, abnormal, status="ABNORMAL")
    handle_notice(gateway="wechatpay", headers=headers, body=body)
    counterpart.refunds_answer_unknown_first()
    unknown = refund_payment(
        payment=alipay, refund_no="R0000000002", amount="6.00", reason="x", actor=finance
    )
    refund_payment(payment=done, refund_no="R0000000003", amount="7.00", reason="x", actor=finance)
    with django_assert_max_num_queries(9):
        page = finance_client.get("/backoffice/payments/").content.decode()
    queue = page.split('id="refund-queue"', 1)[1]
    assert "R0000000001" in queue and "R0000000002" in queue and "R0000000003" not in queue
    assert "异常" in queue  # the abnormal state, in Chinese
    detail = finance_client.get(f"/backoffice/payments/{wechat.pk}/").content.decode()
    assert f"/backoffice/payments/refunds/{abnormal.pk}/settle/" in detail
    client = Client()  # 客服部, beside finance's own session
    client.force_login(make_staff("service"))
    settle = {"outcome": "paid_back", "note": "银行转账退回"}
    url = f"/backoffice/payments/refunds/{abnormal.pk}/settle/"
    assert client.post(url, settle).status_code == 403
    assert Refund.objects.get(pk=abnormal.pk).status == "abnormal"
    assert finance_client.post(url, settle).status_code == 302
    assert Refund.objects.get(pk=abnormal.pk).status == "succeeded"
    check = f"/backoffice/payments/refunds/{unknown.pk}/check/"
    assert client.post(check).status_code == 403
    assert finance_client.post(check).status_code == 302
    assert Refund.objects.get(pk=unknown.pk).status == "succeeded"
    assert counterpart.paid_out[("alipay", "R0000000002")] == Decimal("6.00")
