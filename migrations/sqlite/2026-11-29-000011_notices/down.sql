ALTER TABLE bookings DROP COLUMN invite_sequence;
ALTER TABLE stations DROP COLUMN sms_daily_cap;
ALTER TABLE stations DROP COLUMN reminder_hour;
DROP TABLE sms_opt_outs;
DROP TABLE notices;
