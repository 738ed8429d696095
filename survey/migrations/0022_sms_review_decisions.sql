-- A person decides a text set aside for review (inbound kind 'review': it mentioned
-- stopping without clearly asking to). Until now nobody could: the person was never
-- reminded again. 'stop' opts them out as STOP would; 'keep' lets reminders by hand
-- reach them again. Who decided and when stay on the row, beside the audit entry, so
-- the list shows a decided text as decided and a second decision is refused.
-- reviewed_by is a users id without a foreign key, as in audit_log.
ALTER TABLE sms_messages
    ADD COLUMN reviewed_at     timestamptz,
    ADD COLUMN reviewed_by     bigint,
    ADD COLUMN review_decision text CHECK (review_decision IN ('stop', 'keep')),
    ADD CONSTRAINT sms_messages_review_decided
        CHECK ((reviewed_at IS NULL) = (review_decision IS NULL));
