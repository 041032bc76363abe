-- A session's CSRF token is now derived from the session's secret (which only its cookie
-- holds) and never stored: the tokens kept so far are erased. Keep in step with the other
-- backend's 0015.
UPDATE auth_tokens SET csrf_token = NULL;
