-- Official documents signed with the signer's X.509 certificate (issue 23). A signing by a
-- USB token happens in two halves: the prepared PDF (with the space for its signature) and
-- the signed attributes the token is asked to sign wait in document_signings until the
-- token's signatures come back; the signed PDF and the CMS signature over the version's
-- canonical content are then kept in document_signatures, one per version. Binary values are
-- base64 text, the same in both databases and in their backups.
CREATE TABLE document_signings (
    id                   TEXT PRIMARY KEY,
    submission_id        INTEGER NOT NULL REFERENCES submissions (id),
    number               INTEGER NOT NULL,
    requested_by         TEXT NOT NULL,
    certificates         TEXT NOT NULL,
    prepared_pdf         TEXT NOT NULL,
    document_attributes  TEXT NOT NULL,
    content_attributes   TEXT NOT NULL,
    signed_at            TEXT NOT NULL,
    expires_at           TEXT NOT NULL
);
CREATE INDEX document_signings_by_version ON document_signings (submission_id, number);

CREATE TABLE document_signatures (
    submission_id       INTEGER NOT NULL REFERENCES submissions (id),
    number              INTEGER NOT NULL,
    kind                TEXT NOT NULL,
    signed_pdf          TEXT NOT NULL,
    content_cms         TEXT NOT NULL,
    subject             TEXT NOT NULL,
    issuer              TEXT NOT NULL,
    serial              TEXT NOT NULL,
    not_before          TEXT NOT NULL,
    not_after           TEXT NOT NULL,
    revocation_checked  BOOLEAN NOT NULL,
    signed_by           TEXT NOT NULL,
    signed_at           TEXT NOT NULL,
    PRIMARY KEY (submission_id, number)
);

-- An agency's certificate held by the server (uploaded as PKCS #12) for systems that push and
-- sign automatically: the chain as PEM, the key as PKCS #8 sealed like every secret at rest.
CREATE TABLE agency_certificates (
    id INTEGER PRIMARY KEY,
    agency_id     INTEGER NOT NULL UNIQUE REFERENCES agencies (id),
    certificates  TEXT NOT NULL,
    private_key   TEXT NOT NULL,
    subject       TEXT NOT NULL,
    issuer        TEXT NOT NULL,
    serial        TEXT NOT NULL,
    not_before    TEXT NOT NULL,
    not_after     TEXT NOT NULL,
    uploaded_by   TEXT NOT NULL,
    uploaded_at   TEXT NOT NULL
);

-- A user's position (chức vụ: "Chủ tịch", "Phó Giám đốc"), printed above the signer's name on
-- the documents they sign (Decree 30/2020/NĐ-CP); unknown until an administrator sets it.
ALTER TABLE users ADD COLUMN position TEXT;
