-- The daily SMS cap looks only at notices already sent: index those alone, so that a new
-- notice (written with its booking, unsent) adds no entry at a random place in this index.
DROP INDEX notices_recipient;
CREATE INDEX notices_sent_to ON notices (recipient, sent_at) WHERE sent_at IS NOT NULL;
