"""The account page and the address book: paste-to-fill, region selects, budgets."""

import pytest

from mercato.customers.models import Address
from mercato.customers.services import add_address, create_customer

pytestmark = pytest.mark.django_db
PASTED = "张三 13812345678 广东省深圳市南山区科技园科苑路15号"
VALID = {
    "recipient": "张三",
    "mobile": "13812345678",
    "province": "广东省",
    "city": "深圳市",
    "district": "南山区",
    "detail": "科技园科苑路15号",
    "postcode": "",
}


@pytest.fixture
def customer(client):
    customer = create_customer(mobile="13900001111", name="李四")
    client.force_login(customer.user)
    return customer


def _add(customer, n: int):
    for i in range(n):
        add_address(actor=None, customer_id=customer.pk, **{**VALID, "detail": f"科苑路{i}号"})


def test_account_page_shows_profile_addresses_and_the_orders_link(client, customer):
    """The account page shows the profile, the addresses and leads to the orders."""
    _add(customer, 2)
    response = client.get("/account/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "13900001111" in body and "科苑路0号" in body
    assert 'href="/orders/"' in body and "我的订单" in body


def test_anonymous_visitor_is_sent_to_log_in(client):
    """Account pages send visitors to the shop log-in, coming back afterwards."""
    response = client.get("/account/addresses/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/account/addresses/"


@pytest.mark.parametrize("count", [1, 25])
def test_account_page_query_budget(client, customer, count, django_assert_max_num_queries):
    """The account page costs the same few queries however many addresses there are: user,
    customer, addresses (3 today; one spare for a session read from the database)."""
    _add(customer, count)
    with django_assert_max_num_queries(4):
        assert client.get("/account/").status_code == 200


@pytest.mark.parametrize("count", [1, 25])
def test_address_list_query_budget(client, customer, count, django_assert_max_num_queries):
    """The address list is one query for all addresses, after the user and customer."""
    _add(customer, count)
    with django_assert_max_num_queries(4):
        response = client.get("/account/addresses/")
    assert response.status_code == 200
    assert response.content.decode().count('class="address"') == count


def test_pasting_an_address_fills_the_form_with_htmx(client, customer):
    """The pasted text comes back as the form's fields, for the customer to check."""
    response = client.post(
        "/account/addresses/new/", {"action": "parse", "pasted": PASTED}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert {k: form.initial[k] for k in VALID} == VALID
    body = response.content.decode()
    assert '<option value="南山区" selected>' in body
    assert "<html" not in body  # a fragment for htmx to swap in
    assert not Address.objects.exists()  # nothing saved before the customer confirms


def test_pasting_without_javascript_renders_the_filled_page(client, customer):
    """Without htmx the paste box reloads the whole page with the form filled."""
    response = client.post("/account/addresses/new/", {"action": "parse", "pasted": PASTED})
    assert response.status_code == 200
    assert '<option value="深圳市" selected>' in response.content.decode()


@pytest.mark.parametrize(
    "pasted", ["", "hello", "\x00\x07" * 50, "广东省" * 500, "13812345678", "<script>x</script>"]
)
def test_pasting_junk_gives_a_form_to_complete_not_an_error(client, customer, pasted):
    """Empty, control-character, overlong or markup input gives a form to complete, escaped."""
    response = client.post(
        "/account/addresses/new/", {"action": "parse", "pasted": pasted}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.context["parsed_missing"]
    assert "<script>x" not in response.content.decode()


def test_saving_the_confirmed_address(client, customer):
    """The confirmed form is saved as the customer's first, default address."""
    response = client.post("/account/addresses/new/", {**VALID, "action": "save"})
    assert response.status_code == 302
    address = Address.objects.get()
    assert (address.province, address.city, address.district) == ("广东省", "深圳市", "南山区")
    assert address.is_default


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mobile": "1234"}, "mobile"),
        ({"province": "火星省"}, "province"),
        ({"city": "杭州市"}, "city"),  # not in 广东省
        ({"district": "西湖区"}, "district"),  # not in 深圳市
        ({"recipient": ""}, "recipient"),
        ({"postcode": "51800"}, "postcode"),
        ({"detail": "x" * 300}, "detail"),
    ],
)
def test_bad_address_is_a_field_error(client, customer, change, field):
    """Malformed numbers and regions that do not fit are reported on their field (400)."""
    response = client.post("/account/addresses/new/", {**VALID, **change, "action": "save"})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Address.objects.exists()


def test_region_selects_follow_the_province(client, customer):
    """Choosing a province offers its cities; a city offers its districts (htmx fragment)."""
    response = client.get("/account/addresses/regions/", {"province": "浙江省"})
    body = response.content.decode()
    assert '<option value="杭州市">' in body and "南山区" not in body
    response = client.get("/account/addresses/regions/", {"province": "浙江省", "city": "杭州市"})
    assert '<option value="西湖区">' in response.content.decode()
    response = client.get("/account/addresses/regions/", {"province": "北京市"})
    assert '<option value="北京市">' in response.content.decode()


def test_edit_make_default_and_delete(client, customer):
    """Editing, making default and deleting work; deleting the default promotes another."""
    _add(customer, 2)
    first, second = Address.objects.order_by("id")
    response = client.post(f"/account/addresses/{second.pk}/", {**VALID, "detail": "新地址1号"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.detail == "新地址1号"
    client.post(f"/account/addresses/{second.pk}/default/")
    second.refresh_from_db()
    assert second.is_default
    client.post(f"/account/addresses/{second.pk}/delete/")
    first.refresh_from_db()
    assert first.is_default and Address.objects.count() == 1


def test_another_customers_address_is_not_found(client, customer):
    """Another customer's address answers 404 and is left untouched."""
    other = create_customer(mobile="13700001111")
    address = add_address(actor=None, customer_id=other.pk, **VALID)
    assert client.get(f"/account/addresses/{address.pk}/").status_code == 404
    assert client.post(f"/account/addresses/{address.pk}/delete/").status_code == 404
    assert Address.objects.filter(pk=address.pk).exists()


def test_profile_edit(client, customer):
    """The profile saves name and email (lower-cased); bad gender or date are field errors."""
    response = client.post(
        "/account/profile/",
        {"name": "李四四", "gender": "female", "birthday": "1990-05-01", "email": "LS@x.cn"},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.email) == ("李四四", "ls@x.cn")
    response = client.post("/account/profile/", {"name": "", "gender": "x", "birthday": "no"})
    assert response.status_code == 400
    assert {"gender", "birthday"} <= set(response.context["form"].errors)
