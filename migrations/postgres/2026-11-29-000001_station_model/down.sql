ALTER TABLE stations DROP COLUMN travel_matrix_file;
ALTER TABLE stations DROP COLUMN average_speed_kmh;
ALTER TABLE stations DROP COLUMN detour_factor;
ALTER TABLE stations DROP COLUMN window_change_minutes;
ALTER TABLE stations DROP COLUMN min_turnout;
ALTER TABLE stations DROP COLUMN arrival_lead_minutes;
ALTER TABLE stations DROP COLUMN plasma_minutes_per_donor;
ALTER TABLE stations DROP COLUMN platelets_minutes_per_donor;
