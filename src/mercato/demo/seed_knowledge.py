"""Demo knowledge base (咨询手册) and training (培训技巧), issue 15: articles in the categories
customers ask about, some edited two or three times (their versions can be compared and
restored), one draft and one archived; a course for new agents with a quiz, taken by the
demo's agents (passed, failed, passed on the second try, not yet taken).

Everything goes through mercato.service.knowledge and mercato.service.training, as the back
office does; only the clock is set back. Idempotent: once the demo's categories exist, a
second run adds nothing. Called after the tickets (seed_tickets makes service01 a 客户主管,
who writes the articles)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from mercato.service import knowledge, training
from mercato.service.models import ArticleCategory

CATEGORIES = ["退换货政策", "配送时效", "发票", "会员积分", "支付问题", "商品咨询"]

# (category, title, [body of version 1, 2, ...] with the change notes, status)
ARTICLES = [
    (
        "退换货政策",
        "七天无理由退货",
        [
            (
                "签收之日起七天内，商品及包装完好、配件齐全的，可申请无理由退货。\n"
                "退货运费由买家承担；商品有质量问题的，运费由我们承担。",
                "",
            ),
            (
                "签收之日起七天内，商品及包装完好、配件齐全的，可申请无理由退货。\n"
                "退货运费由买家承担；商品有质量问题的，运费由我们承担。\n"
                "定制商品、鲜活易腐商品、已拆封的个人护理用品不适用七天无理由退货。",
                "补充不适用的商品",
            ),
            (
                "签收之日起七天内，商品及包装完好、配件齐全的，可申请无理由退货。\n"
                "退货运费由买家承担；商品有质量问题的，运费由我们承担；购买了运费险的，"
                "运费险自动理赔。\n"
                "定制商品、鲜活易腐商品、已拆封的个人护理用品不适用七天无理由退货。",
                "加入运费险说明",
            ),
        ],
        "published",
    ),
    (
        "退换货政策",
        "换货流程",
        [
            (
                "尺码、颜色不合适可换货：在“我的订单”点“申请售后”，选择换货并填写原因。\n"
                "审核通过后寄回原商品，仓库收到后 48 小时内发出新商品。",
                "",
            ),
        ],
        "published",
    ),
    (
        "退换货政策",
        "退款到账时间",
        [
            (
                "仓库收到退货并验收后 24 小时内提交退款。\n"
                "原路退回：支付宝、微信支付 1-3 个工作日，银行卡 3-7 个工作日。",
                "",
            ),
            (
                "仓库收到退货并验收后 24 小时内提交退款。\n"
                "原路退回：支付宝、微信支付 1-3 个工作日，银行卡 3-7 个工作日，"
                "货到付款的订单退到客户提供的银行账户。\n"
                "客户问退款没到账时，先在订单页查看退款状态，再请客户查询支付账户的账单。",
                "补充货到付款和排查步骤",
            ),
        ],
        "published",
    ),
    (
        "配送时效",
        "配送时效说明",
        [
            (
                "下午四点前付款的订单当天发货。江浙沪次日达，其他省份二到四天送达，"
                "新疆、西藏等偏远地区五到七天。",
                "",
            ),
            (
                "下午四点前付款的订单当天发货，大促期间顺延一到两天。江浙沪次日达，"
                "其他省份二到四天送达，新疆、西藏等偏远地区五到七天。",
                "加入大促说明",
            ),
        ],
        "published",
    ),
    (
        "配送时效",
        "快递显示签收但没收到",
        [
            (
                "先请客户查看门卫、快递柜和驿站，并确认是否家人代收。\n"
                "仍未找到的，记录订单号，联系快递公司核实签收人和签收照片，24 小时内回复客户。\n"
                "核实为快递误签的，按丢件处理，为客户补发或退款。",
                "",
            ),
        ],
        "published",
    ),
    (
        "配送时效",
        "修改收货地址",
        [
            (
                "订单未出库前可以修改收货地址：在订单详情点“修改地址”，或由客服在后台修改。\n"
                "已出库的订单只能联系快递公司改派，可能产生额外费用。",
                "",
            ),
        ],
        "published",
    ),
    (
        "发票",
        "如何开具增值税专用发票",
        [
            (
                "专票需提供公司名称、纳税人识别号、地址电话、开户行及账号，"
                "在订单页“申请发票”中选择增值税专用发票。\n纸质专票三个工作日内寄出。",
                "",
            ),
            (
                "专票需提供公司名称、纳税人识别号、地址电话、开户行及账号，"
                "在订单页“申请发票”中选择增值税专用发票。\n"
                "专票为数电发票，开具后发送到客户邮箱，不再寄送纸质发票。",
                "改为数电发票",
            ),
        ],
        "published",
    ),
    (
        "发票",
        "发票抬头开错了怎么办",
        [
            (
                "电子普通发票可以作废重开：请客户提供正确的抬头和税号，"
                "在后台红冲原发票后重新开具，一个订单最多重开两次。",
                "",
            ),
        ],
        "published",
    ),
    (
        "会员积分",
        "会员积分规则",
        [
            (
                "每消费一元得一积分，确认收货后到账。积分有效期一年，"
                "每年十二月三十一日清零上一年的积分。\n一百积分抵扣一元，"
                "每单最多抵扣订单金额的百分之二十。",
                "",
            ),
        ],
        "published",
    ),
    (
        "会员积分",
        "会员等级与权益",
        [
            (
                "普通会员、银卡、金卡、钻石卡四个等级，按近一年的消费金额评定。\n"
                "金卡及以上享受免运费和专属客服。",
                "",
            ),
        ],
        "published",
    ),
    (
        "支付问题",
        "支付失败怎么办",
        [
            (
                "支付宝或微信付款失败时，请客户检查余额和网络，然后在订单页重新支付。\n"
                "若已扣款但订单显示未付款，一般十分钟内自动更新；超过一小时仍未更新的，"
                "记录交易单号并转财务部核实。",
                "",
            ),
        ],
        "published",
    ),
    (
        "支付问题",
        "货到付款说明",
        [
            (
                "货到付款支持现金和扫码支付，单笔订单不超过五千元。\n"
                "偏远地区和部分快递不支持货到付款，以下单页面为准。",
                "",
            ),
        ],
        "published",
    ),
    (
        "商品咨询",
        "手机保修政策",
        [
            (
                "手机自签收之日起享受全国联保一年，十五天内出现性能故障可换新。\n"
                "人为损坏、进水不在保修范围内。",
                "",
            ),
        ],
        "published",
    ),
    (
        "商品咨询",
        "尺码选择建议",
        [
            (
                "请客户参考商品详情页的尺码表，量好胸围、腰围和身高后对照选择；"
                "介于两个尺码之间的建议选大一码。",
                "",
            ),
        ],
        "draft",
    ),
    (
        "支付问题",
        "分期付款（已停用）",
        [
            ("信用卡分期支持三期、六期、十二期免息，在支付页选择分期。", ""),
        ],
        "archived",
    ),
]

QUIZ = [
    ("七天无理由退货从哪天开始算？",
     [("下单之日", False), ("签收之日", True), ("发货之日", False)]),
    ("哪些商品不适用七天无理由退货？",
     [("定制商品", True), ("鲜活易腐商品", True), ("已拆封的个人护理用品", True), ("手机", False)]),
    ("江浙沪的订单一般多久送达？", [("当天", False), ("次日", True), ("三到五天", False)]),
    ("客户说快递显示签收但没收到，第一步做什么？",
     [("直接补发", False), ("请客户查看门卫、快递柜和驿站", True), ("让客户自己找快递", False)]),
    ("支付宝退款一般几个工作日到账？", [("1-3 个", True), ("7-15 个", False)]),
]  # fmt: skip


def seed_knowledge(*, now=None) -> dict[str, int]:
    """Articles, a course and a quiz with attempts; {} when the demo's categories exist."""
    if ArticleCategory.objects.filter(name=CATEGORIES[0]).exists():
        return {}
    now = now or timezone.now()
    User = get_user_model()
    writer = next(
        (u for u in User.objects.filter(username__in=["service01", "tech"]).order_by("username")
         if u.has_perm(knowledge.EDIT)),
        None,
    )  # fmt: skip
    if writer is None:
        raise RuntimeError("run seed_demo first (no one may write the knowledge base)")
    categories = {
        name: knowledge.create_category(actor=writer, name=name, position=i)
        for i, name in enumerate(CATEGORIES)
    }
    counts = {"articles": 0, "versions": 0}
    by_title = {}
    for n, (category, title, versions, status) in enumerate(ARTICLES):
        day = now - timedelta(days=60 - n)
        body, note = versions[0]
        article = knowledge.create_article(
            actor=writer, category_id=categories[category].pk, title=title, body=body,
            note=note, now=day,
        )  # fmt: skip
        if status != "draft":
            knowledge.set_article_status(actor=writer, article_id=article.pk, status="published",
                                         now=day)  # fmt: skip
        for step, (body, note) in enumerate(versions[1:], 1):
            knowledge.edit_article(actor=writer, article_id=article.pk, title=title, body=body,
                                   note=note, now=day + timedelta(days=7 * step))  # fmt: skip
        if status == "archived":
            knowledge.set_article_status(actor=writer, article_id=article.pk, status="archived",
                                         now=day + timedelta(days=30))  # fmt: skip
        by_title[title] = article
        counts["articles"] += 1
        counts["versions"] += len(versions)
    lessons = ["七天无理由退货", "退款到账时间", "配送时效说明", "快递显示签收但没收到"]
    course = training.create_course(
        actor=writer, title="新员工入门：售后与配送",
        description="入职第一周读完这四篇，再做测验；八十分及格。",
        article_ids=[by_title[t].pk for t in lessons],
    )  # fmt: skip
    quiz = training.create_quiz(
        actor=writer, course_id=course.pk, title="售后与配送测验", questions=QUIZ, pass_score=80
    )
    counts["attempts"] = _attempts(quiz, now=now)
    return counts


def _attempts(quiz, *, now) -> int:
    """The demo's agents (客服部, not the 客户主管, who appears as "not taken"): the first
    fails (60) and passes on the second try (100), the second fails (40), a third (where
    there is one) passes at once."""
    questions = list(quiz.questions.prefetch_related("options").order_by("position"))
    right = {q.pk: [o.pk for o in q.options.all() if o.is_correct] for q in questions}
    wrong = {q.pk: [next(o.pk for o in q.options.all() if not o.is_correct)] for q in questions}

    def answers(wrong_ones: int):
        return {
            str(q.pk): (wrong if i < wrong_ones else right)[q.pk] for i, q in enumerate(questions)
        }

    agents = list(
        get_user_model()
        .objects.filter(staff_profile__department__code="service", is_active=True)
        .order_by("username")
    )
    plan = [[2, 0], [3], [0]]  # wrong answers per attempt, per agent (of 5: 60/100, 40, 100)
    made = 0
    agents = [a for a in agents if a.has_perm(training.TAKE) and not a.has_perm(knowledge.EDIT)]
    for agent, tries in zip(agents, plan, strict=False):
        for n, wrong_ones in enumerate(tries):
            training.submit_quiz(
                actor=agent, quiz_id=quiz.pk, answers=answers(wrong_ones),
                token=f"demo-{agent.pk}-{n}", now=now - timedelta(days=10 - 3 * n),
            )  # fmt: skip
            made += 1
    return made
