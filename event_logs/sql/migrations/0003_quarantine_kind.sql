-- Migration 3: a machine-readable kind for every quarantined row, and the one reference list
-- of kinds with their labels in Bahasa Indonesia and English (the Data page groups and pages
-- quarantine by kind in SQL). The kind of a row is its first problem; `reason` keeps all of
-- them, each with at most a masked value. Old rows get their kind from their reason.

CREATE TABLE IF NOT EXISTS ref_quarantine_kinds (
    kind        VARCHAR PRIMARY KEY,
    label_id    VARCHAR NOT NULL,
    label_en    VARCHAR NOT NULL,
    description VARCHAR NOT NULL
);

INSERT OR REPLACE INTO ref_quarantine_kinds VALUES
    ('unbalanced_quote', 'Tanda kutip tidak tertutup',
     'Unbalanced quote',
     'A quote (") opened on this line of a CSV file did not close on it and would have swallowed the following lines; the line is quarantined and the lines after it are read as rows of their own.'),
    ('too_many_fields', 'Kolom berlebih',
     'Too many fields',
     'The row has more fields than the header; its values are shifted, so the surplus is kept under "(extra fields)" (or the row is withheld when the file has personal-data columns).'),
    ('missing_case_id', 'Nomor kasus kosong',
     'Missing case id',
     'The case id column is empty in this row.'),
    ('missing_activity', 'Kegiatan kosong',
     'Missing activity',
     'The activity column is empty in this row.'),
    ('missing_timestamp', 'Waktu kosong',
     'Missing timestamp',
     'The timestamp column is empty in this row.'),
    ('unparsable_timestamp', 'Waktu tidak terbaca',
     'Unparsable timestamp',
     'The timestamp is in no format Pantau reads (docs/cli.md lists them).'),
    ('implausible_timestamp', 'Waktu tidak masuk akal',
     'Implausible timestamp',
     'The timestamp is readable but outside the plausible window ([ingest] earliest_year .. latest_years_ahead, default 1990-01-01 to one year after today) or has an offset beyond +-14:00.'),
    ('unknown_lifecycle', 'Status siklus tidak dikenal',
     'Unknown lifecycle',
     'The lifecycle value is neither a start nor a complete word (e.g. an XES "suspend").');

ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS kind VARCHAR;

UPDATE quarantine SET kind = replace(regexp_extract(reason,
    '^(unbalanced quote|too many fields|missing case_id|missing activity|missing timestamp|'
    || 'unparsable timestamp|implausible timestamp|unknown lifecycle)', 1), ' ', '_')
WHERE kind IS NULL;
UPDATE quarantine SET kind = NULL WHERE kind = '';
