"""Demo product questions, answers and reviews (产品咨询、口碑), in every moderation state:
customers review items of their delivered orders (most published, some waiting, one
held for a blocked word, one rejected), shoppers ask about products, customer service
answers. Through the real services; run by seed_order_processing after the orders."""

import random

from mercato.orders.models import OrderLine, OrderStatus
from mercato.reviews import services
from mercato.reviews.models import ProductReview

BLOCKED = ["加微信", "代购", "刷单", "返现"]
PRAISE = [
    (5, "质量很好，和描述一致，物流也快。"),
    (5, "第二次购买了，一如既往的好。"),
    (4, "整体满意，包装有点简单。"),
    (4, "性价比高，推荐购买。"),
    (3, "一般般，能用。"),
    (2, "做工有瑕疵，客服处理还算及时。"),
]
QUESTIONS = [
    ("支持七天无理由退货吗？", "支持的，签收后 7 天内商品完好即可申请。"),
    ("能开电子发票吗？", "可以，下单时填写发票抬头即可。"),
    ("这款有现货吗？什么时候发货？", "有现货，下午四点前付款当天发货。"),
    ("保修多久？", None),
]


def seed_reviews(users, seeded, *, seed: int = 1) -> None:
    if ProductReview.objects.exists():
        return
    rng = random.Random(seed)
    service, lead = users["service"], users["tech"]
    for word in BLOCKED:
        services.add_blocked_word(actor=lead, word=word)
    lines = list(
        OrderLine.objects.filter(
            order__status=OrderStatus.DELIVERED, order__customer__isnull=False,
            product__isnull=False,
        ).select_related("order__customer").order_by("pk")[:24]
    )  # fmt: skip
    for n, line in enumerate(lines):
        stars, text = PRAISE[n % len(PRAISE)]
        if n == 3:
            text = "东西不错，想要更便宜的加微信联系我"
        if n == 5:
            stars, text = 1, "差差差差差"
        review = services.submit_review(
            customer=line.order.customer, order_line_id=line.pk, stars=stars, text=text
        )
        if n in (3, 6, 7):  # waiting: one flagged for a blocked word, two clean
            seeded.add("reviews_pending")
            continue
        publish = n != 5
        services.moderate(
            actor=service, kind="review", item_id=review.pk, publish=publish,
            reason="" if publish else "无实际内容",
        )  # fmt: skip
        seeded.add("reviews_published" if publish else "reviews_rejected")
    product_ids = [ln.product_id for ln in lines[:4]]
    buyers = [ln.order.customer for ln in lines]
    for n, product_id in enumerate(product_ids):
        for k, (text, answer) in enumerate(QUESTIONS):
            question = services.ask_question(
                product_id=product_id, text=text,
                customer=buyers[(n + k) % len(buyers)] if k % 2 else None,
                guest_name="" if k % 2 else rng.choice(["小王", "路人甲", "游客"]),
            )  # fmt: skip
            if answer is None:  # still waiting for customer service
                seeded.add("questions_pending")
                continue
            reply = services.answer_question(question_id=question.pk, actor=service, text=answer)
            if (n, k) == (0, 2):  # the answer waits for a second pair of eyes
                seeded.add("answers_pending")
                continue
            services.moderate(actor=service, kind="answer", item_id=reply.pk, publish=True)
            seeded.add("questions_published")
    if product_ids:
        spam = services.ask_question(
            product_id=product_ids[0], guest_name="某人", text="刷单返现了解一下"
        )
        services.moderate(
            actor=service, kind="question", item_id=spam.pk, publish=False, reason="广告"
        )
        seeded.add("questions_rejected")
