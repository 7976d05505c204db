"""The live chat end to end in Chromium, over a live ASGI server (HTTP and WebSockets): a
guest opens the widget on a shop page, an agent answers in the back-office console, and
each sees the other's message."""

import pytest
from django.test import Client

from mercato.service.models import Conversation
from mercato.testing.asgi import live_asgi_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("short_db_connections"),
]


def test_a_guest_asks_on_the_shop_and_an_agent_answers_in_the_console(browser_page, make_staff):
    from playwright.sync_api import expect

    agent = make_staff("service")
    staff = Client()
    staff.force_login(agent)
    with live_asgi_server() as base:
        # the guest, on the shop's home page
        guest = browser_page
        guest.goto(base + "/")
        guest.get_by_role("button", name="在线客服").click()
        start = guest.locator("#chat-start")
        start.get_by_label("您的称呼").fill("王女士")
        start.get_by_label("手机号或邮箱").fill("13912340000")
        start.get_by_label("您的问题").fill("请问今天下单什么时候发货？")
        start.get_by_role("button", name="开始咨询").click()
        expect(guest.locator("#chat-state")).to_have_text("正在为您转接客服…")

        # the agent, in another browser context (its own cookies), in the console
        context = guest.context.browser.new_context(locale="zh-CN")
        context.add_cookies([{"name": "sessionid", "value": staff.cookies["sessionid"].value,
                              "url": base}])  # fmt: skip
        console = context.new_page()
        console.set_default_timeout(15000)
        errors = []
        console.on("pageerror", lambda exc: errors.append(str(exc)))
        console.goto(base + "/backoffice/service/chat/")
        waiting = console.locator("#waiting li", has_text="王女士")
        waiting.get_by_role("button", name="接入").click()
        pane = console.locator(".chat-pane")
        expect(pane.locator(".chat-log")).to_contain_text("请问今天下单什么时候发货？")
        expect(guest.locator("#chat-state")).to_contain_text(str(agent))

        # canned replies for what the guest asked, and the agent's answer
        pane.locator(".pane-replies summary").click()
        pane.get_by_role("button", name="发货时间").click()
        pane.get_by_role("button", name="发送", exact=True).click()
        expect(guest.locator("#chat-log")).to_contain_text("付款后 24 小时内发货")

        # the guest types (the agent sees it) and answers
        guest.locator("#chat-input").press_sequentially("好的")
        expect(pane.locator(".pane-typing")).to_be_visible()
        guest.locator("#chat-input").fill("好的，谢谢！")
        guest.get_by_role("button", name="发送").click()
        expect(pane.locator(".chat-log")).to_contain_text("好的，谢谢！")

        # the agent ends it: the transcript's ticket is linked on both sides
        pane.get_by_role("button", name="结束咨询").click()
        expect(pane.locator(".pane-ticket")).to_contain_text("TK")
        expect(guest.locator("#chat-state")).to_contain_text("TK")
        assert not errors and not guest.errors
        context.close()
    conversation = Conversation.objects.get()
    assert conversation.status == "closed" and conversation.ticket.channel == "chat"
