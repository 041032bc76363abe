-- A second factor (TOTP, RFC 6238) per user: its shared secret sealed like every secret at
-- rest (store::secrets), whether it is in force, and the last time step a code was used (a
-- code is never taken twice). Keep in step with the other backend's 0016.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
