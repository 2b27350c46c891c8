-- Staff bring history in from a CSV file: the file is kept while staff map its columns and
-- while it is imported in batches (a page shows the progress), then emptied.
CREATE TABLE import_uploads (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uploaded_by bigint NOT NULL REFERENCES accounts (id),
    file_name text NOT NULL CONSTRAINT import_uploads_file_name_length CHECK (length(file_name) BETWEEN 1 AND 255),
    -- The file's text; emptied once imported (the purchases hold what matters).
    content text NOT NULL,
    -- Data rows (the header excluded).
    rows integer NOT NULL CONSTRAINT import_uploads_rows_non_negative CHECK (rows >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Which column holds which field: {"member_email": 0, "amount": 3, ...}.
    mapping jsonb,
    started_at timestamptz,
    finished_at timestamptz,
    -- Progress and the summary, counted as the batches are written.
    rows_done integer NOT NULL DEFAULT 0 CONSTRAINT import_uploads_rows_done_range CHECK (rows_done BETWEEN 0 AND rows),
    written integer NOT NULL DEFAULT 0,
    already_imported integer NOT NULL DEFAULT 0,
    -- The rejected rows: [{"line": 7, "external_id": "...", "message": "..."}], in line order.
    rejected jsonb NOT NULL DEFAULT '[]',
    -- Set when the import stopped on an error of the server's, not of the file's.
    failed text,
    CONSTRAINT import_uploads_finished_after_start CHECK (finished_at IS NULL OR started_at IS NOT NULL)
);

-- A batch written from an upload points back to it; undoing a batch is recorded on it. The
-- purchases of an undone batch are kept as refunded (their points reversed through the
-- ledger, which is append-only), and a later import may reuse their external ids.
ALTER TABLE import_batches
    ADD COLUMN upload_id bigint REFERENCES import_uploads (id),
    ADD COLUMN undone_at timestamptz,
    ADD COLUMN undone_by bigint REFERENCES accounts (id),
    ADD CONSTRAINT import_batches_undone_by_someone CHECK ((undone_at IS NULL) = (undone_by IS NULL));

CREATE INDEX import_batches_by_upload ON import_batches (upload_id) WHERE upload_id IS NOT NULL;
