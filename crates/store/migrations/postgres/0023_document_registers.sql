-- Each agency's register of the documents it issues (issue 23): its reports are numbered from 1
-- each calendar year (Decree 30/2020/NĐ-CP), and a submitted version keeps the number it took.
CREATE TABLE document_registers (
    agency_id    INTEGER NOT NULL REFERENCES agencies (id),
    year         INTEGER NOT NULL,
    last_number  INTEGER NOT NULL,
    PRIMARY KEY (agency_id, year)
);
ALTER TABLE submission_versions ADD COLUMN document_year INTEGER;
ALTER TABLE submission_versions ADD COLUMN document_number INTEGER;

-- The versions sent before the register existed, numbered in the order they were sent, by the
-- year in Vietnam (UTC+7) of their sending.
UPDATE submission_versions
SET document_year = numbered.year, document_number = numbered.number
FROM (
    SELECT v.id,
           EXTRACT(YEAR FROM v.submitted_at::timestamptz AT TIME ZONE 'Asia/Ho_Chi_Minh')::INTEGER AS year,
           ROW_NUMBER() OVER (
               PARTITION BY s.agency_id,
                            EXTRACT(YEAR FROM v.submitted_at::timestamptz AT TIME ZONE 'Asia/Ho_Chi_Minh')
               ORDER BY v.submitted_at, v.id
           )::INTEGER AS number
    FROM submission_versions v
    JOIN submissions s ON s.id = v.submission_id
) AS numbered
WHERE numbered.id = submission_versions.id;

INSERT INTO document_registers (agency_id, year, last_number)
SELECT s.agency_id, v.document_year, MAX(v.document_number)
FROM submission_versions v
JOIN submissions s ON s.id = v.submission_id
WHERE v.document_year IS NOT NULL
GROUP BY s.agency_id, v.document_year;
