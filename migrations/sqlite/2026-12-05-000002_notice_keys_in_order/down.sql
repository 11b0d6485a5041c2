UPDATE notices SET dedupe_key = substr(dedupe_key, instr(dedupe_key, ':') + 1)
WHERE booking_id IS NOT NULL;
