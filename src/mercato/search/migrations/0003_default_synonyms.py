"""Synonym groups a Chinese shop starts with; operations staff edit them in the back office."""

from django.db import migrations

DEFAULT_SYNONYMS = [
    ["手机", "移动电话"],
    ["笔记本电脑", "笔记本", "手提电脑"],
    ["电视", "电视机"],
    ["电动剃须刀", "剃须刀", "刮胡刀"],
    ["自行车", "单车"],
    ["电饭煲", "电饭锅"],
    ["口红", "唇膏"],
    ["投影仪", "投影机"],
    ["纸尿裤", "尿不湿"],
    ["移动电源", "充电宝"],
    ["耳机", "耳麦"],
]


def add_defaults(apps, schema_editor):
    SynonymGroup = apps.get_model("search", "SynonymGroup")
    taken = {t for terms in SynonymGroup.objects.values_list("terms", flat=True) for t in terms}
    for terms in DEFAULT_SYNONYMS:
        if not taken & set(terms):
            SynonymGroup.objects.create(terms=terms, note="default")


class Migration(migrations.Migration):
    dependencies = [("search", "0002_text_index")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
