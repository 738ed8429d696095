"""TwilioSender end to end against the fake provider on 127.0.0.1, error classification,
signed status callbacks and inbound webhooks."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from conftest import WebhookSink

from survey.sms.fakeprovider import FakeTwilio
from survey.sms.sender import (
    PermanentSendError,
    ProviderAuthError,
    RecipientOptedOut,
    RetryableSendError,
    TwilioSender,
    messages_url,
)
from survey.sms.webhooks import parse_inbound, parse_status

PHONE = "+12065550199"
FROM = "+12065550100"


def sender_for(fake: FakeTwilio, **kwargs: object) -> TwilioSender:
    options: dict[str, object] = {
        "account_sid": fake.account_sid, "auth_token": fake.auth_token,
        "from_number": FROM, "api_base": fake.api_base,
    }
    options.update(kwargs)
    return TwilioSender(**options)  # type: ignore[arg-type]


async def test_send_and_signed_status_callbacks(fake: FakeTwilio, sink: WebhookSink) -> None:
    async with sender_for(fake) as sender:
        sid = await sender.send(PHONE, "Hola, ¿cómo está? 1=Sí 2=No", sink.base_url + "/status")
    assert sid.startswith("SM") and len(sid) == 34
    assert await asyncio.to_thread(fake.wait_for_callbacks, 5)
    [message] = fake.messages
    assert (message.sid, message.to, message.from_) == (sid, PHONE, FROM)
    assert message.body == "Hola, ¿cómo está? 1=Sí 2=No"
    assert message.status == "delivered"
    posts = sink.posts("/status")
    assert [p.form["MessageStatus"] for p in posts] == ["sent", "delivered"]
    assert all(p.signature_valid for p in posts)
    status = parse_status(posts[-1].form)
    assert (status.message_sid, status.message_status, status.error_code) == (
        sid, "delivered", None
    )
    assert [c.response_status for c in fake.callbacks] == [204, 204]


async def test_fetch_created_message_through_the_api(fake: FakeTwilio) -> None:
    async with sender_for(fake) as sender:
        sid = await sender.send(PHONE, "hello")
    auth = (fake.account_sid, fake.auth_token)
    async with httpx.AsyncClient(auth=auth) as client:
        url = messages_url(fake.api_base, fake.account_sid).replace(".json", f"/{sid}.json")
        got = (await client.get(url)).json()
        listed = (await client.get(messages_url(fake.api_base, fake.account_sid))).json()
    assert got["sid"] == sid and got["num_segments"] == "1" and got["direction"] == "outbound-api"
    assert [m["sid"] for m in listed["messages"]] == [sid]


async def test_messaging_service_and_validity_period(fake: FakeTwilio) -> None:
    async with sender_for(fake, from_number="", messaging_service_sid="MG" + "1" * 32) as sender:
        await sender.send(PHONE, "hi", validity_period=600)
    assert fake.messages[0].messaging_service_sid == "MG" + "1" * 32


async def test_undelivered_status_carries_error_code(fake: FakeTwilio, sink: WebhookSink) -> None:
    fake.set_undeliverable(PHONE, 30007)
    async with sender_for(fake) as sender:
        await sender.send(PHONE, "hi", sink.base_url + "/status")
    assert await asyncio.to_thread(fake.wait_for_callbacks, 5)
    last = parse_status(sink.posts("/status")[-1].form)
    assert (last.message_status, last.error_code) == ("undelivered", 30007)


@pytest.mark.parametrize(
    ("status", "code", "retry_after", "error", "maybe_sent"),
    [
        (429, 20429, 7, RetryableSendError, False),
        (500, 20500, None, RetryableSendError, True),
        (503, 20503, None, RetryableSendError, False),
        (400, 21211, None, PermanentSendError, None),
        (400, 21610, None, RecipientOptedOut, None),
        (401, 20003, None, ProviderAuthError, None),
    ],
)
async def test_error_classification(
    fake: FakeTwilio, status: int, code: int, retry_after: int | None,
    error: type[Exception], maybe_sent: bool | None,
) -> None:
    fake.fail_next(status, code, retry_after=retry_after)
    async with sender_for(fake) as sender:
        with pytest.raises(error) as caught:
            await sender.send(PHONE, "hi")
        # The failure was one-off: the next send goes through.
        assert (await sender.send(PHONE, "hi")).startswith("SM")
    exc = caught.value
    assert getattr(exc, "status", None) == status and getattr(exc, "code", None) == code
    if isinstance(exc, RetryableSendError):
        assert exc.maybe_sent is maybe_sent
        assert exc.retry_after == retry_after
    else:
        assert not isinstance(exc, RetryableSendError)


async def test_validation_errors_are_permanent(fake: FakeTwilio) -> None:
    async with sender_for(fake) as sender:
        with pytest.raises(PermanentSendError) as caught:
            await sender.send(PHONE, "")
        assert caught.value.code == 21602
        with pytest.raises(PermanentSendError) as caught:
            await sender.send(PHONE, "x" * 1601)
        assert caught.value.code == 21617
    async with sender_for(fake, auth_token="wrong") as sender:
        with pytest.raises(ProviderAuthError):
            await sender.send(PHONE, "hi")
    assert fake.messages == []


async def test_connection_refused_is_retryable_and_not_sent() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sender = TwilioSender(account_sid="AC1", auth_token="t", from_number=FROM,
                          api_base=f"http://127.0.0.1:{port}")
    async with sender:
        with pytest.raises(RetryableSendError) as caught:
            await sender.send(PHONE, "hi")
    assert caught.value.maybe_sent is False


async def test_read_timeout_is_retryable_and_maybe_sent() -> None:
    # A server that accepts the request and never answers.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    sender = TwilioSender(account_sid="AC1", auth_token="t", from_number=FROM, timeout=0.3,
                          api_base=f"http://127.0.0.1:{listener.getsockname()[1]}")
    try:
        async with sender:
            with pytest.raises(RetryableSendError) as caught:
                await sender.send(PHONE, "hi")
        assert caught.value.maybe_sent is True
    finally:
        thread.join(2)
        for conn in accepted:
            conn.close()
        listener.close()


def test_inbound_webhook_is_signed_and_twiml_reply_delivered(
    fake: FakeTwilio, sink: WebhookSink
) -> None:
    result = fake.inbound(PHONE, "Tôi không biết & <ok>")
    assert result.status_code == 200
    assert result.replies == ["You said: Tôi không biết & <ok>"]
    [post] = sink.posts("/inbound")
    assert post.signature_valid
    form = post.form
    for field in ("MessageSid", "SmsSid", "SmsMessageSid", "AccountSid", "From", "To", "Body",
                  "NumMedia", "NumSegments", "SmsStatus", "ApiVersion", "FromCountry"):
        assert field in form, field
    inbound = parse_inbound(form)
    assert (inbound.from_, inbound.to, inbound.body) == (PHONE, fake.phone_number, form["Body"])
    assert inbound.message_sid == result.message_sid == form["SmsSid"]
    assert form["NumSegments"] == "1" and form["AccountSid"] == fake.account_sid
    assert fake.sent_to(PHONE) == ["You said: Tôi không biết & <ok>"]


def test_bad_signature_is_refused_by_the_app(fake: FakeTwilio, sink: WebhookSink) -> None:
    fake.auth_token = "not-the-token"
    result = fake.inbound(PHONE, "1")
    assert result.status_code == 403 and result.replies == []
    assert not sink.posts("/inbound")[0].signature_valid


async def test_async_inbound_and_replay(fake: FakeTwilio, sink: WebhookSink) -> None:
    sink.reply = lambda form: ["one", "two"]
    result = await fake.ainbound(PHONE, "hi")
    assert result.replies == ["one", "two"]
    again = await fake.ainbound(PHONE, "hi", message_sid=result.message_sid)
    first, second = sink.posts("/inbound")
    assert again.message_sid == result.message_sid == second.form["MessageSid"]
    assert first.form == second.form and second.signature_valid


async def test_carrier_stop_blocks_sends_until_start(fake: FakeTwilio, sink: WebhookSink) -> None:
    sink.reply = lambda form: ["Our own confirmation"]
    await asyncio.to_thread(fake.inbound, PHONE, "STOP")
    assert fake.is_opted_out(PHONE)
    # The carrier confirmed; our TwiML reply to an opted-out phone is blocked.
    assert fake.sent_to(PHONE) == [fake.transcript(PHONE)[1].body]
    assert fake.transcript(PHONE)[-1].error_code == 21610
    async with sender_for(fake) as sender:
        with pytest.raises(RecipientOptedOut):
            await sender.send(PHONE, "Reminder")
        await asyncio.to_thread(fake.inbound, PHONE, "start")
        assert (await sender.send(PHONE, "Welcome back")).startswith("SM")


def test_cli_serve_text_and_messages(sink: WebhookSink) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "survey.sms.fakeprovider", "serve", "--port", "0",
         "--auth-token", sink.auth_token, "--webhook-url", sink.base_url + "/inbound",
         "--callback-delay", "0"],
        stdout=subprocess.PIPE, text=True, env=env, cwd=root,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["api_base"].startswith("http://127.0.0.1:")

        async def send() -> str:
            async with TwilioSender(account_sid=info["account_sid"], auth_token=info["auth_token"],
                                    from_number=FROM, api_base=info["api_base"]) as sender:
                return await sender.send(PHONE, "Q1: reply 1-5")

        sid = asyncio.run(send())
        texted = subprocess.run(
            [sys.executable, "-m", "survey.sms.fakeprovider", "text", "--fake", info["api_base"],
             "--from", PHONE, "--body", "3"],
            capture_output=True, text=True, env=env, cwd=root, timeout=30, check=True,
        )
        assert "You said: 3" in texted.stdout
        log = subprocess.run(
            [sys.executable, "-m", "survey.sms.fakeprovider", "messages", "--fake",
             info["api_base"]],
            capture_output=True, text=True, env=env, cwd=root, timeout=30, check=True,
        )
        assert "Q1: reply 1-5" in log.stdout and "You said: 3" in log.stdout
        assert sid
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert code == 0


@pytest.mark.parametrize("command", [["messages"], ["text", "--from", PHONE, "--body", "3"]])
def test_cli_names_a_fake_that_is_not_running(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from survey.sms.fake_cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    assert main([command[0], "--fake", url, *command[1:]]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"cannot reach the fake provider at {url}: is it running? start it with "
                   "`python -m survey.sms.fakeprovider serve` and pass the api_base it "
                   "prints as --fake\n")
