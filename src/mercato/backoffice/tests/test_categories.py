"""The category pages: create, specs and SEO fields, and who may change them."""

import pytest

from mercato.catalog.models import Category, SpecAttribute
from mercato.staff.roles import DEPARTMENT_CODES

pytestmark = pytest.mark.django_db
TREE = "/backoffice/catalog/categories/"


def page(category) -> str:
    return f"/backoffice/catalog/categories/{category.pk}/"


def specs_of(category) -> list[tuple[str, list[str]]]:
    return [
        (s.name, s.options)
        for s in SpecAttribute.objects.filter(category=category).order_by("position")
    ]


def seo_form(**overrides) -> dict:
    data = {
        "name": "智能手机",
        "slug": "zhi-neng-shou-ji",
        "is_active": "on",
        "seo_title": "智能手机 - 正品行货",
        "seo_keywords": "智能手机,5G手机",
        "seo_description": "全网正品智能手机",
    }
    return {**data, **overrides}


def test_create_a_root_and_a_child_category(client, login, catalogue):
    """A new root lands at the end of the roots; a child lands under its parent."""
    login("operations")
    assert client.post(f"{TREE}new/", {"name": "图书"}).status_code == 302
    books = Category.objects.get(name="图书")
    assert books.is_root() and [c.name for c in Category.objects.get_root_nodes()][-1] == "图书"
    assert books.slug == "tu-shu"
    client.post(f"{TREE}new/", {"name": "小说", "parent": books.pk})
    novel = Category.objects.get(name="小说")
    assert Category.objects.get_parent(novel).pk == books.pk
    response = client.get(TREE)
    assert "小说" in response.content.decode()


def test_a_category_without_a_name_is_refused(client, login, catalogue):
    """An empty name creates nothing and says why."""
    login("operations")
    count = Category.objects.count()
    response = client.post(f"{TREE}new/", {"name": "  "}, follow=True)
    assert Category.objects.count() == count
    errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and "名称" in errors[0]  # "… needs a name"


def test_specs_are_saved_in_order_with_their_values(client, login, catalogue):
    """Lines `name: value, value` become the category's specs, in the order written."""
    login("operations")
    smart = catalogue["smart"]
    text = "颜色: 黑色, 白色, 金色\n\n存储容量：128GB，256GB\n网络: "
    response = client.post(f"{page(smart)}specs/", {"specs": text})
    assert response.status_code == 302
    assert specs_of(smart) == [
        ("颜色", ["黑色", "白色", "金色"]),
        ("存储容量", ["128GB", "256GB"]),
        ("网络", []),
    ]
    body = client.get(page(smart)).content.decode()
    assert "存储容量: 128GB, 256GB" in body


def test_child_category_shows_the_specs_it_inherits(client, login, catalogue):
    """Specs of the categories above are listed on a child's page."""
    login("operations")
    client.post(f"{TREE}new/", {"name": "折叠屏手机", "parent": catalogue["smart"].pk})
    fold = Category.objects.get(name="折叠屏手机")
    body = client.get(page(fold)).content.decode()
    assert "颜色" in body and "黑色, 白色" in body


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("颜色: 黑色\n颜色: 白色", "Line 2"),
        (": 黑色", "Line 1"),
        ("颜" * 31 + ": 黑色", "Line 1"),
    ],
)
def test_bad_specs_are_named_by_line_and_nothing_changes(client, login, catalogue, text, problem):
    """A duplicate, a missing or an overlong name: 400, the line named, the specs unchanged."""
    login("operations")
    smart = catalogue["smart"]
    before = specs_of(smart)
    response = client.post(f"{page(smart)}specs/", {"specs": text})
    assert response.status_code == 400
    errors = response.context["specs_form"].errors["specs"]
    assert any(problem in e or problem.replace("Line", "第") in e for e in errors), errors
    assert specs_of(smart) == before


def test_seo_fields_slug_and_active_flag_are_saved(client, login, catalogue):
    """The SEO form writes title, keywords, description, slug and the active flag."""
    login("operations")
    smart = catalogue["smart"]
    data = seo_form(slug="smartphones")
    del data["is_active"]
    assert client.post(page(smart), data).status_code == 302
    smart.refresh_from_db()
    assert smart.slug == "smartphones" and smart.is_active is False
    assert (smart.seo_title, smart.seo_keywords, smart.seo_description) == (
        "智能手机 - 正品行货",
        "智能手机,5G手机",
        "全网正品智能手机",
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"slug": "not a slug!"}, "slug"),
        ({"slug": "shou-ji"}, "slug"),  # the parent's slug: taken
        ({"name": ""}, "name"),
        ({"seo_title": "x" * 121}, "seo_title"),
    ],
)
def test_bad_seo_input_is_named_on_its_field_and_nothing_changes(
    client, login, catalogue, overrides, field
):
    """A bad or taken slug, no name, an overlong title: 400 on that field, nothing saved."""
    login("operations")
    smart = catalogue["smart"]
    response = client.post(page(smart), seo_form(**overrides))
    assert response.status_code == 400
    assert field in response.context["seo_form"].errors
    smart.refresh_from_db()
    assert (smart.slug, smart.seo_title, smart.name) == ("zhi-neng-shou-ji", "", "智能手机")


@pytest.mark.parametrize("department", DEPARTMENT_CODES)
def test_only_who_may_change_categories_edits_specs_and_seo(client, login, catalogue, department):
    """Without catalog.change_category: 403 on both forms and the category is unchanged."""
    user = login(department)
    smart = catalogue["smart"]
    before = (specs_of(smart), smart.slug, smart.seo_title)
    specs = client.post(f"{page(smart)}specs/", {"specs": "尺寸: 6.1英寸"})
    seo = client.post(page(smart), seo_form(slug="hijacked"))
    smart.refresh_from_db()
    if user.has_perm("catalog.change_category"):
        assert department == "operations"
        assert specs.status_code == seo.status_code == 302
        assert specs_of(smart) == [("尺寸", ["6.1英寸"])] and smart.slug == "hijacked"
    else:
        assert specs.status_code == seo.status_code == 403
        assert (specs_of(smart), smart.slug, smart.seo_title) == before


def test_readers_see_the_category_page_without_forms(client, login, catalogue):
    """Customer service may look at a category's specs but gets no form to change them."""
    login("service")
    response = client.get(page(catalogue["smart"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "颜色" in body and 'name="specs"' not in body and 'name="slug"' not in body


def test_unknown_category_is_404(client, login, catalogue):
    login("operations")
    assert client.get("/backoffice/catalog/categories/99999/").status_code == 404
    response = client.post("/backoffice/catalog/categories/99999/specs/", {"specs": ""})
    assert response.status_code == 404
