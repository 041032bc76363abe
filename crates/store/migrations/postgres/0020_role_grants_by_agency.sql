-- Who holds a role at an agency is asked on every submission, return and acceptance (the
-- workflow's notifications): found through the agency, not by scanning every user.
CREATE INDEX role_grants_agency ON role_grants (agency_id);
