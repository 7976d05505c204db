"""Forms of the catalogue workspace. They validate input; the catalog services write."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from mercato.catalog.models import Brand, Category, Product
from mercato.catalog.services.categories import MOVE_POSITIONS
from mercato.catalog.text import barcode_error

from .filters import CategoryChoiceField

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0")}


class ProductForm(forms.Form):
    code = forms.CharField(label=_("Product code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    subtitle = forms.CharField(label=_("Subtitle"), max_length=200, required=False)
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.order_by("path"))
    brand = forms.ModelChoiceField(
        label=_("Brand"), queryset=Brand.objects.order_by("name"), required=False
    )
    description = forms.CharField(
        label=_("Description (HTML)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Scripts, event handlers and javascript: links are removed on save."),
    )
    seo_title = forms.CharField(label=_("SEO title"), max_length=120, required=False)
    seo_keywords = forms.CharField(label=_("SEO keywords"), max_length=255, required=False)
    seo_description = forms.CharField(
        label=_("SEO description"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=160,
        required=False,
        help_text=_("Leave empty to make one from the name's pinyin."),
    )

    SERVICE_FIELDS = (
        "name", "subtitle", "description", "seo_title", "seo_keywords", "seo_description", "slug",
    )  # fmt: skip

    @classmethod
    def initial_for(cls, product: Product) -> dict:
        initial = {f: getattr(product, f) for f in cls.SERVICE_FIELDS}
        return {**initial, "code": product.code, "category": product.category_id,
                "brand": product.brand_id}  # fmt: skip

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {f: data[f] for f in self.SERVICE_FIELDS}
        kwargs["brand_id"] = data["brand"].pk if data["brand"] else None
        kwargs["category_id"] = data["category"].pk
        return kwargs


class SkuForm(forms.Form):
    """Edit one SKU. Price fields exist only for users allowed to change (or see) them."""

    barcode = forms.CharField(label=_("Barcode (EAN-13)"), max_length=13, required=False)
    weight_g = forms.IntegerField(label=_("Weight (g)"), min_value=0)
    volume_cm3 = forms.IntegerField(label=_("Volume (cm³)"), min_value=0)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    list_price = forms.DecimalField(label=_("List price"), **MONEY)
    cost_price = forms.DecimalField(label=_("Cost price"), **MONEY)

    def __init__(self, *args, may_change_price: bool, may_view_cost: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_change_price:
            del self.fields["list_price"]
        if not (may_change_price and may_view_cost):
            del self.fields["cost_price"]

    def clean_barcode(self):
        barcode = self.cleaned_data["barcode"].strip()
        problem = barcode_error(barcode)
        if problem:
            raise forms.ValidationError(_(problem))
        return barcode


class GenerateSkusForm(forms.Form):
    """Pick values for each of the category's specs; one SKU per combination."""

    list_price = forms.DecimalField(label=_("List price"), **MONEY)
    cost_price = forms.DecimalField(label=_("Cost price"), required=False, **MONEY)
    weight_g = forms.IntegerField(label=_("Weight (g)"), min_value=0, initial=0)
    volume_cm3 = forms.IntegerField(label=_("Volume (cm³)"), min_value=0, initial=0)

    def __init__(self, *args, specs, may_view_cost: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec_names = []
        for i, spec in enumerate(specs):
            self.fields[f"spec_{i}"] = forms.MultipleChoiceField(
                label=spec.name,
                choices=[(o, o) for o in spec.options],
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields[f"spec_{i}_extra"] = forms.CharField(
                label=_("Other values of %(spec)s") % {"spec": spec.name},
                required=False,
                help_text=_("Separate values with commas."),
            )
            self.spec_names.append((spec.name, f"spec_{i}", f"spec_{i}_extra"))
        if not may_view_cost:
            del self.fields["cost_price"]

    def spec_fields(self):
        return [(name, self[key], self[extra]) for name, key, extra in self.spec_names]

    def clean(self):
        data = super().clean()
        values = {}
        for name, key, extra in self.spec_names:
            picked = list(data.get(key) or [])
            typed = [v.strip() for v in (data.get(extra) or "").replace("，", ",").split(",")]
            chosen = list(dict.fromkeys(picked + [v for v in typed if v]))
            if chosen:
                values[name] = chosen
        data["spec_values"] = values
        return data


class ImageForm(forms.Form):
    image = forms.FileField(label=_("Image"))
    alt = forms.CharField(label=_("Alternative text"), max_length=120, required=False)


class PriceChangeForm(forms.Form):
    MODES = [
        ("percent", _("Change by percent")),
        ("amount", _("Change by amount (¥)")),
        ("set", _("Set to price (¥)")),
    ]
    mode = forms.ChoiceField(label=_("How"), choices=MODES, initial="percent")
    value = forms.DecimalField(
        label=_("Value"), max_digits=12, decimal_places=2,
        help_text=_("e.g. -10 lowers prices by 10%; 5 in amount mode adds ¥5."),
    )  # fmt: skip


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)


class CategorySeoForm(forms.Form):
    """A category's name, address and search-engine fields (catalog.services.update_category)."""

    name = forms.CharField(label=_("Name"), max_length=60)
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=120,
        help_text=_("The category's address on the site: lower-case letters, digits and -."),
    )
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("Inactive categories are hidden on the site; their products stay."),
    )
    seo_title = forms.CharField(label=_("SEO title"), max_length=120, required=False)
    seo_keywords = forms.CharField(label=_("SEO keywords"), max_length=255, required=False)
    seo_description = forms.CharField(
        label=_("SEO description"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    FIELDS = ("name", "slug", "is_active", "seo_title", "seo_keywords", "seo_description")

    @classmethod
    def initial_for(cls, category: Category) -> dict:
        return {f: getattr(category, f) for f in cls.FIELDS}


SPEC_NAME_MAX = 30  # SpecAttribute.name
SPEC_VALUE_MAX = 60
SPEC_SEPARATORS = str.maketrans({"：": ":", "，": ",", "、": ","})


def format_specs(specs) -> str:
    """The textarea's text for a list of SpecAttribute: `颜色: 黑色, 白色`, one per line."""
    return "\n".join(f"{spec.name}: {', '.join(spec.options)}" for spec in specs)


class CategorySpecsForm(forms.Form):
    """The category's specs, in order, one per line: `name: value, value, ...`."""

    specs = forms.CharField(
        label=_("Specs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "One spec per line, in the order shown to staff and customers: the name, a colon, "
            "then suggested values separated by commas. For example: 颜色: 黑色, 白色"
        ),
    )

    def clean_specs(self) -> list[tuple[str, list[str]]]:
        specs: list[tuple[str, list[str]]] = []
        problems = []
        seen: dict[str, int] = {}
        lines = self.cleaned_data["specs"].translate(SPEC_SEPARATORS).splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            name, _colon, rest = line.partition(":")
            name = name.strip()
            values = list(dict.fromkeys(v.strip() for v in rest.split(",") if v.strip()))
            where = {"line": number, "name": name}
            if not name:
                problems.append(_("Line %(line)d: a spec needs a name before the colon") % where)
            elif len(name) > SPEC_NAME_MAX:
                problems.append(
                    _("Line %(line)d: “%(name)s” is longer than %(max)d characters")
                    % {**where, "max": SPEC_NAME_MAX}
                )
            elif name in seen:
                problems.append(
                    _("Line %(line)d: “%(name)s” is already on line %(first)d")
                    % {**where, "first": seen[name]}
                )
            elif any(len(v) > SPEC_VALUE_MAX for v in values):
                problems.append(
                    _("Line %(line)d: a value of “%(name)s” is longer than %(max)d characters")
                    % {**where, "max": SPEC_VALUE_MAX}
                )
            else:
                seen[name] = number
                specs.append((name, values))
        if problems:
            raise forms.ValidationError(problems)
        return specs


class CategoryMoveForm(forms.Form):
    POSITIONS = [
        ("last-child", _("into, as its last child")),
        ("first-child", _("into, as its first child")),
        ("left", _("before it")),
        ("right", _("after it")),
    ]
    target = CategoryChoiceField(label=_("Target"), queryset=Category.objects.order_by("path"))
    position = forms.ChoiceField(label=_("Where"), choices=POSITIONS)

    def clean_position(self):
        position = self.cleaned_data["position"]
        assert position in MOVE_POSITIONS  # the choices mirror the service's positions
        return position


class BrandForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    name_en = forms.CharField(label=_("English name"), max_length=80, required=False)
    country = forms.CharField(label=_("Country"), max_length=40, required=False)
