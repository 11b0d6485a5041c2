-- A donor's donation history: the station's records stay in `donations`; what the donor
-- declares at booking is kept here, the latest statement of each kind.
CREATE TABLE declared_donations (
    id INTEGER PRIMARY KEY,
    donor_id BIGINT NOT NULL REFERENCES donors (id),
    kind TEXT NOT NULL,
    donated_on DATE NOT NULL,
    volume_ml INTEGER,
    declared_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (donor_id, kind)
);
INSERT INTO declared_donations (donor_id, kind, donated_on, volume_ml, declared_on, created_at)
    SELECT id, last_donation_kind, last_donation_date, NULL, date(updated_at), updated_at
    FROM donors
    WHERE last_donation_date IS NOT NULL AND last_donation_kind IS NOT NULL;
ALTER TABLE donors DROP COLUMN last_donation_date;
ALTER TABLE donors DROP COLUMN last_donation_kind;
-- Apheresis donations in the 12 months up to `apheresis_12m_as_of`, as the donor counts them.
ALTER TABLE donors ADD COLUMN apheresis_12m_count INTEGER;
ALTER TABLE donors ADD COLUMN apheresis_12m_volume_ml INTEGER;
ALTER TABLE donors ADD COLUMN apheresis_12m_as_of DATE;
ALTER TABLE donors ADD COLUMN adverse_reaction_before BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE donors ADD COLUMN vaccination_time TIME;
-- The station's plasma policy as JSON; absent numbers are the domain's defaults.
ALTER TABLE stations ADD COLUMN plasma_policy TEXT NOT NULL DEFAULT '{"offered":false}';
