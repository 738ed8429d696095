"""Two-way SMS: provider-facing pieces and pure logic.

Nothing in this package reads settings or the environment (callers pass secrets,
URLs, clocks and translators in), and nothing touches the database.

Provider-facing:
    signature     X-Twilio-Signature compute/verify, public webhook URL
    webhooks      InboundSms / StatusCallback models, delivery-status ranking
    twiml         <Response><Message> rendering (and parsing, for the fake)
    sender        Sender protocol, TwilioSender, retryable/permanent errors
    twilio_forms  Twilio-shaped inbound/status forms, signed posting
    fakeprovider  FakeTwilio: a real loopback server (fake_http routes, fake_cli)

Pure:
    segments      GSM-7/UCS-2 detection and segment counts
    keywords      opt-out / opt-in / help words in every survey language
    replies       lenient parsing of numbers, choices, skip and don't-know words
    item_replies  reply -> Answer for a questionnaire item (questionnaire's rules)
    schedule      quiet-hours window (DST-safe) and per-number send pacing
    menu          the ASCII one-segment language menu
    texts         the engine's own msgids
    conversation  the conversation state machine
"""
