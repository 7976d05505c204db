"""Customer service test data: tickets, queues and image uploads."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from mercato.service import services
from mercato.service.models import Queue, QueueMember


def png(name: str = "photo.png", size=(800, 600), color=(200, 30, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def make_queue(code: str, *, categories=(), mode="least_loaded", members=(), default=False):
    queue = Queue.objects.create(
        code=code, name=code, categories=list(categories), mode=mode, is_default=default
    )
    for user in members:
        QueueMember.objects.create(queue=queue, user=user)
    return queue


def make_ticket(*, actor=None, customer=None, **kw):
    values = {
        "channel": "phone",
        "category": "order_status",
        "subject": "我的订单什么时候发货",
        "body": "客户来电询问订单发货时间",
        "contact_phone": "" if customer else "13912340000",
    }
    values.update(kw)
    return services.create_ticket(
        actor=actor, customer_id=customer.pk if customer else None, **values
    )
