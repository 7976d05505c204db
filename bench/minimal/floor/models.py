"""Mercato's tables as the floor reads them (unmanaged: Mercato's migrations own them)."""
# ruff: noqa: DJ008 - never shown: no __str__ needed

from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        managed = False
        db_table = "catalog_category"


class Brand(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        managed = False
        db_table = "catalog_brand"


class Product(models.Model):
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20)
    min_price = models.DecimalField(max_digits=12, decimal_places=2)
    max_price = models.DecimalField(max_digits=12, decimal_places=2)
    updated_at = models.DateTimeField()
    category = models.ForeignKey(Category, on_delete=models.DO_NOTHING)
    brand = models.ForeignKey(Brand, on_delete=models.DO_NOTHING, null=True)

    class Meta:
        managed = False
        db_table = "catalog_product"


class Stock(models.Model):
    on_hand = models.IntegerField()
    reserved = models.IntegerField()

    class Meta:
        managed = False
        db_table = "inventory_stock"
