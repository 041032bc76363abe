-- Each person chooses whether their notifications also come by e-mail (issue 21); everyone
-- starts with e-mail, as before.
ALTER TABLE users ADD COLUMN email_notifications BOOLEAN NOT NULL DEFAULT TRUE;
