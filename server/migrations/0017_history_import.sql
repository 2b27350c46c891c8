-- History in: stores bring years of purchases when they adopt the portal.

-- What an API key may do. A till's key earns; importing history and reading the member base
-- are granted separately, so a till's key cannot read the member base. Keys made before this
-- migration keep doing what they did: earning.
ALTER TABLE api_keys ADD COLUMN scopes text[] NOT NULL DEFAULT '{earn}'
    CONSTRAINT api_keys_scopes_known CHECK (scopes <@ ARRAY['earn', 'import', 'insights:read']::text[] AND cardinality(scopes) > 0);

-- One call of the import endpoint: the purchases it wrote point back to it.
CREATE TABLE import_batches (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source text NOT NULL,
    api_key_id bigint REFERENCES api_keys (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    rows_received integer NOT NULL CONSTRAINT import_batches_rows_received_non_negative CHECK (rows_received >= 0),
    rows_written integer NOT NULL CONSTRAINT import_batches_rows_written_non_negative CHECK (rows_written >= 0)
);

ALTER TABLE purchases ADD COLUMN import_batch_id bigint REFERENCES import_batches (id);
CREATE INDEX purchases_by_import_batch ON purchases (import_batch_id) WHERE import_batch_id IS NOT NULL;

-- A purchase paid entirely with a gift card is still a visit: history may hold $0.00
-- purchases. Live earning keeps refusing them.
ALTER TABLE purchases DROP CONSTRAINT purchases_amount_positive;
ALTER TABLE purchases ADD CONSTRAINT purchases_amount_positive
    CHECK (amount_cents > 0 OR (amount_cents = 0 AND import_batch_id IS NOT NULL));

-- Points for imported history: 'none' (recorded for insight only), or 'within_expiry' (the
-- purchases whose points would not have expired yet earn them, expiring from their original
-- date).
ALTER TABLE store_settings ADD COLUMN import_points text NOT NULL DEFAULT 'none'
    CONSTRAINT store_settings_import_points_known CHECK (import_points IN ('none', 'within_expiry'));
