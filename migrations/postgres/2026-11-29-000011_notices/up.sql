-- The outbox: a notice is written in the transaction of the change that causes it, and sent
-- by a worker afterwards. dedupe_key makes each notice once; out_id (derived from it) is what
-- the receiving side sees on every attempt (the Message-ID of a mail, the SMS correlation id).
CREATE TABLE notices (
    id BIGSERIAL PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    out_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    booking_id BIGINT REFERENCES bookings (id),
    recipient TEXT NOT NULL,
    language TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    leased_by TEXT,
    last_error TEXT,
    sent_at TIMESTAMP,
    delivery TEXT,
    delivery_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
-- The queue: what is due, and what a worker holds (a lease that may run out).
CREATE INDEX notices_pending ON notices (due_at, id) WHERE status = 'pending';
CREATE INDEX notices_sending ON notices (lease_until) WHERE status = 'sending';
CREATE INDEX notices_status ON notices (status);
CREATE INDEX notices_booking ON notices (booking_id);
-- Texts sent to a phone today (the daily cap).
CREATE INDEX notices_recipient ON notices (recipient, sent_at);

-- Every notice is updated two or three times: vacuum the queue early, so that dead row
-- versions do not slow the claim down.
ALTER TABLE notices SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- Phones that asked for no more SMS (they still get email).
CREATE TABLE sms_opt_outs (
    phone TEXT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL
);

ALTER TABLE stations ADD COLUMN reminder_hour INTEGER NOT NULL DEFAULT 18;
ALTER TABLE stations ADD COLUMN sms_daily_cap INTEGER NOT NULL DEFAULT 5;
-- The SEQUENCE of the booking's calendar invitation, raised with every change sent.
ALTER TABLE bookings ADD COLUMN invite_sequence INTEGER NOT NULL DEFAULT 0;
