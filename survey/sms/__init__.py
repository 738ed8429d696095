"""Two-way SMS: provider-facing pieces (signatures, TwiML, sending, a fake provider)
and pure logic (segments, keywords, reply parsing, quiet hours, the conversation engine).

Nothing in this package reads settings or the environment: callers pass secrets,
URLs, clocks and translators in. Nothing here touches the database either.
"""
