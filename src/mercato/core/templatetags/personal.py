"""Personal data in templates, masked unless the viewer may see it (core/masking.py):

{% load personal %}
{{ order.mobile|phone_for:request.user }} {{ order.detail|address_for:request.user }}
{{ order.recipient|name_for:request.user }} {{ note|text_for:request.user }}
"""

from django import template

from mercato.core import masking

register = template.Library()


@register.filter
def phone_for(value, user):
    return masking.phone_for(user, value or "")


@register.filter
def address_for(value, user):
    return masking.address_for(user, value or "")


@register.filter
def name_for(value, user):
    return masking.name_for(user, value or "")


@register.filter
def text_for(value, user):
    return masking.text_for(user, value or "")
