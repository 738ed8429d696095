-- SMS: conversations, inbound message log, opt-outs and the outbound queue.
-- (Filled in by the SMS work; unreleased, so still editable.)
SELECT 1;
