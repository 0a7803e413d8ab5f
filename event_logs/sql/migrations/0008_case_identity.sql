-- Migration 8: a case is (sop_id, agency, case_id). Case ids are unique only within an agency's
-- register: the same number in two municipalities' logs of one SOP is two cases (BPIC15's
-- case 4020737 in Gemeente 2 and 5), each with its own events, variant and checks. Until now
-- `cases` was keyed by (sop_id, case_id), so a second agency's events joined the first
-- agency's case.
--
-- Existing rows keep their agency. Events whose agency was never set take their case's, else
-- their import's, else their SOP model's. Events of another agency that were merged into a case
-- become a case of their own: its span and unit from its own events, its attributes copied from
-- the row they were merged into (the store kept no per-agency copy), no nik_hash (a NIK names a
-- person; which case it belonged to is not known). Result tables are derived data: their rows
-- stay until the next `pantau analyze` (runs.schema_version tells the dashboard to ask for it).
-- Every table and column is described in docs/schema.md.

-- Two changes for real exports (issue 14.8), made first (DuckDB alters no table a transaction
-- has already updated): an event keeps its own attributes (the columns of its row that are no
-- field, as JSON; NULL for older rows and simulated events), and an event of a log without
-- timestamps has none (ts NULL: it is ordered as in the file, its times are not measurable).
ALTER TABLE events ADD COLUMN attributes JSON;
ALTER TABLE events ALTER COLUMN ts DROP NOT NULL;

-- (DuckDB cannot create an index in a transaction that already updated rows: the new cases
-- table, with its key, comes before the updates below)
CREATE TABLE cases_v6 (
    case_id     VARCHAR NOT NULL,
    sop_id      VARCHAR NOT NULL,
    agency      VARCHAR NOT NULL,
    unit        VARCHAR,
    nik_hash    VARCHAR,
    attributes  JSON,
    first_ts    TIMESTAMPTZ,
    last_ts     TIMESTAMPTZ,
    import_id   INTEGER,
    PRIMARY KEY (sop_id, agency, case_id)
);

CREATE TEMP TABLE migrate_event_agency AS
SELECT e.event_id,
       coalesce(e.agency, c.agency, i.agency, m.agency, '') AS agency
FROM events e
LEFT JOIN cases c ON c.sop_id = e.sop_id AND c.case_id = e.case_id
LEFT JOIN imports i ON i.import_id = e.import_id
LEFT JOIN (SELECT sop_id, min(agency) AS agency FROM models GROUP BY sop_id) m ON m.sop_id = e.sop_id
WHERE e.agency IS NULL;

CREATE TEMP TABLE migrate_event_cases AS
SELECT e.sop_id, coalesce(e.agency, a.agency) AS agency, e.case_id,
       min(e.ts) AS first_ts, max(e.ts) AS last_ts, min(e.import_id) AS import_id,
       arg_min(e.unit, e.event_id) AS unit
FROM events e
LEFT JOIN migrate_event_agency a ON a.event_id = e.event_id
GROUP BY ALL;

INSERT INTO cases_v6
-- the rows there were, each with its agency (the agency of its first event when it had none)
SELECT c.case_id, c.sop_id, c.agency, c.unit, c.nik_hash, c.attributes,
       coalesce(ev.first_ts, c.first_ts), coalesce(ev.last_ts, c.last_ts), c.import_id
FROM (
    SELECT o.* REPLACE (coalesce(o.agency,
               (SELECT arg_min(x.agency, x.first_ts) FROM migrate_event_cases x
                WHERE x.sop_id = o.sop_id AND x.case_id = o.case_id), '') AS agency)
    FROM cases o
) c
LEFT JOIN migrate_event_cases ev ON ev.sop_id = c.sop_id AND ev.agency = c.agency AND ev.case_id = c.case_id
UNION ALL
-- events of another agency merged into a case: a case of their own
SELECT ev.case_id, ev.sop_id, ev.agency, coalesce(ev.unit, o.unit), NULL, o.attributes,
       ev.first_ts, ev.last_ts, ev.import_id
FROM migrate_event_cases ev
LEFT JOIN cases o ON o.sop_id = ev.sop_id AND o.case_id = ev.case_id
WHERE o.case_id IS NULL OR ev.agency IS DISTINCT FROM coalesce(o.agency,
    (SELECT arg_min(x.agency, x.first_ts) FROM migrate_event_cases x
     WHERE x.sop_id = o.sop_id AND x.case_id = o.case_id), '');

DROP TABLE cases;
ALTER TABLE cases_v6 RENAME TO cases;

UPDATE events SET agency = a.agency FROM migrate_event_agency a WHERE events.event_id = a.event_id;

-- the simulator's ground truth names the case's agency too
ALTER TABLE sim_truth ADD COLUMN agency VARCHAR;
UPDATE sim_truth SET agency = c.agency
FROM (SELECT sop_id, case_id, min(agency) AS agency FROM cases GROUP BY ALL) c
WHERE c.sop_id = sim_truth.sop_id AND c.case_id = sim_truth.case_id;

DROP TABLE migrate_event_agency;
DROP TABLE migrate_event_cases;
