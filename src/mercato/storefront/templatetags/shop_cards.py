"""{{ products|cards }}: product cards written in Python (storefront.cards)."""

from django import template

from mercato.storefront.cards import cards_html

register = template.Library()
register.filter("cards", cards_html)
