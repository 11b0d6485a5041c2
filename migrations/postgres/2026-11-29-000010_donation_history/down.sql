ALTER TABLE stations DROP COLUMN plasma_policy;
ALTER TABLE donors DROP COLUMN vaccination_time;
ALTER TABLE donors DROP COLUMN adverse_reaction_before;
ALTER TABLE donors DROP COLUMN apheresis_12m_as_of;
ALTER TABLE donors DROP COLUMN apheresis_12m_volume_ml;
ALTER TABLE donors DROP COLUMN apheresis_12m_count;
ALTER TABLE donors ADD COLUMN last_donation_date DATE;
ALTER TABLE donors ADD COLUMN last_donation_kind TEXT;
-- Back to one last donation per donor: the latest declared one.
UPDATE donors SET
    last_donation_date = (SELECT d.donated_on FROM declared_donations d WHERE d.donor_id = donors.id
                          ORDER BY d.donated_on DESC, d.kind LIMIT 1),
    last_donation_kind = (SELECT d.kind FROM declared_donations d WHERE d.donor_id = donors.id
                          ORDER BY d.donated_on DESC, d.kind LIMIT 1);
DROP TABLE declared_donations;
