-- POL-7: the portal admin's own text on the cookie-policy page, per language, shown before the
-- generated section 1 and after section 8. Plain text; empty means none.
ALTER TABLE portal_privacy ADD COLUMN policy_before_en TEXT NOT NULL DEFAULT '';
ALTER TABLE portal_privacy ADD COLUMN policy_before_fr TEXT NOT NULL DEFAULT '';
ALTER TABLE portal_privacy ADD COLUMN policy_after_en TEXT NOT NULL DEFAULT '';
ALTER TABLE portal_privacy ADD COLUMN policy_after_fr TEXT NOT NULL DEFAULT '';
