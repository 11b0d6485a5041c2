DROP INDEX notices_sent_to;
CREATE INDEX notices_recipient ON notices (recipient, sent_at);
