from django import template

from mercato.catalog.thumbs import thumb_url

register = template.Library()

# {{ image.image|thumb_url:"medium" }}: no query per image (see catalog.thumbs).
register.filter("thumb_url", thumb_url)
