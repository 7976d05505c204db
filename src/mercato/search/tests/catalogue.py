"""A small catalogue shaped like the demo's, for the tests of issue 11's defects: three
category levels (so parent categories can be told from a product's own), brands with
Latin names that need normalising, specs with units, popularity."""

from decimal import Decimal

from mercato.catalog.models import Brand, ProductPopularity, ProductStatus
from mercato.search import services
from mercato.search.models import SynonymGroup
from mercato.testing.factories import ProductFactory, SkuFactory, make_category

TREE = {
    "手机数码": {
        "手机": ["智能手机", "老人手机"],
        "数码配件": ["充电器", "移动电源"],
        "智能设备": ["智能手表"],
    },
    "家用电器": {"大家电": ["冰箱"], "厨房电器": ["电饭煲"]},
    "母婴玩具": {"玩具": ["童车"], "尿裤湿巾": ["湿巾"]},
    "运动户外": {"户外装备": ["冲锋衣"]},
    "电脑办公": {"外设产品": ["显示器"]},
    "美妆个护": {"彩妆": ["口红"]},
}
BRANDS = [
    ("华为", "Huawei"), ("花王", "Merries"), ("小米", "Xiaomi"), ("欧莱雅", "L'Oréal"),
    ("兰蔻", "Lancôme"), ("海尔", "Haier"), ("美的", "Midea"), ("好孩子", "gb"),
    ("探路者", "TOREAD"), ("戴尔", "Dell"),
]  # fmt: skip
# key: (name, leaf category, brand, units sold, [(specs, price), ...])
PRODUCTS = {
    "mate": ("华为 Mate 60 旗舰5G智能手机", "智能手机", "华为", 900,
             [({"存储容量": "8GB+256GB"}, "5999.00"), ({"存储容量": "12GB+512GB"}, "6999.00")]),
    "nova": ("华为 nova 12 拍照手机", "智能手机", "华为", 700,
             [({"存储容量": "8GB+128GB"}, "2499.00")]),
    "senior": ("华为 畅享 老人机", "老人手机", "华为", 300, [({"版本": "全网通"}, "499.00")]),
    "xiaomi": ("小米 14 游戏手机", "智能手机", "小米", 800,
               [({"存储容量": "16GB+1TB"}, "4999.00")]),
    "watch": ("华为 GT4 运动智能手表", "智能手表", "华为", 500,
              [({"表盘尺寸": "46mm"}, "1488.00")]),
    "powerbank": ("华为 快充充电宝", "移动电源", "华为", 400, [({"容量": "10000mAh"}, "149.00")]),
    "charger": ("小米 氮化镓快充充电器", "充电器", "小米", 350, [({"功率": "65W"}, "129.00")]),
    "wipes": ("花王 婴儿湿巾 舒适系列", "湿巾", "花王", 60, [({"规格": "80抽×3包"}, "39.90")]),
    "jacket": ("探路者 户外防水冲锋衣", "冲锋衣", "探路者", 120, [({"尺码": "L"}, "899.00")]),
    "fridge": ("海尔 对开门冰箱", "冰箱", "海尔", 200, [({"容量": "470L"}, "4999.00")]),
    "cooker": ("美的 IH电饭煲", "电饭煲", "美的", 250, [({"容量": "4L"}, "399.00")]),
    "stroller": ("好孩子 婴儿推车 豪华款", "童车", "好孩子", 90, [({"颜色": "蓝色"}, "1299.00")]),
    "monitor": ("戴尔 IPS显示器", "显示器", "戴尔", 150,
                [({"尺寸": "27英寸"}, "1599.00"), ({"尺寸": "23.8英寸"}, "999.00")]),
    "lipstick": ("欧莱雅 哑光口红", "口红", "欧莱雅", 80, [({"色号": "#101"}, "199.00")]),
    "balm": ("兰蔻 丝绒唇膏", "口红", "兰蔻", 70, [({"色号": "#202"}, "299.00")]),
}  # fmt: skip


def build_catalogue(*, synonyms: tuple[str, ...] = ()) -> dict:
    """Categories, brands and products on sale, indexed; {key: Product}. Only the given
    synonym groups exist (none of the shipped dictionary), so each test shows its own
    mechanism."""
    SynonymGroup.objects.all().delete()
    for terms in synonyms:
        services.save_synonym_group(actor=None, terms=terms)
    leaves = {}
    for n, (root, seconds) in enumerate(TREE.items()):
        top = make_category(root, slug=f"root-{n}")
        for m, (second, names) in enumerate(seconds.items()):
            middle = make_category(second, parent=top, slug=f"mid-{n}-{m}")
            for k, leaf in enumerate(names):
                leaves[leaf] = make_category(leaf, parent=middle, slug=f"leaf-{n}-{m}-{k}")
    brands = {
        name: Brand.objects.create(name=name, name_en=en, slug=f"brand-{i}")
        for i, (name, en) in enumerate(BRANDS)
    }
    products = {}
    for key, (name, leaf, brand, sold, skus) in PRODUCTS.items():
        product = ProductFactory(
            name=name, category=leaves[leaf], brand=brands[brand], status=ProductStatus.ON_SALE
        )
        prices = []
        for specs, price in skus:
            SkuFactory(product=product, specs=specs, list_price=Decimal(price))
            prices.append(Decimal(price))
        product.min_price, product.max_price = min(prices), max(prices)
        product.save(update_fields=["min_price", "max_price"])
        ProductPopularity.objects.create(product=product, units_sold=sold)
        products[key] = product
    services.rebuild_index()
    return products
