-- 006_import.sql: importing CQC's published files (docs/import.md).
--
-- postcode_district maps a postcode district (the outward code, "NR1") to a
-- locality: it is how `import cqc-directory` places a new provider in one of
-- the council's localities, and it is data, not code, so a manager can add
-- or move a district.  Norfolk's districts ship here.  import_run logs every
-- import with its counts and the file's SHA-256.  Importing is for managers
-- (and the owner): it creates and changes providers and organisations.

CREATE TABLE postcode_district (
  district  text PRIMARY KEY CHECK (district ~ '^[A-Z]{1,2}[0-9][0-9A-Z]?$'),
  locality  text NOT NULL REFERENCES locality,
  area      text NOT NULL DEFAULT '' CHECK (length(area) <= 200)   -- places, for people
);
CREATE INDEX postcode_district_locality ON postcode_district (locality);

-- Norfolk.  Districts that straddle the county boundary are listed when a
-- real part of them is in Norfolk (the Norfolk part is named); they are
-- only ever used for rows the import keeps, so with --local-authority Norfolk
-- a Suffolk or Cambridgeshire service in the same district is never placed.
-- Left out: NR32 and NR33 (Lowestoft, all Suffolk), IP23 (Eye, Suffolk).
--   Norwich  the city and its urban fringe (NR1-NR8)
--   North    North Norfolk and northern Broadland
--   East     Great Yarmouth borough and eastern Broadland towards it
--   South    South Norfolk and Breckland (Dereham, Attleborough, Thetford, Watton)
--   West     King's Lynn and West Norfolk, with Swaffham
INSERT INTO postcode_district (district, locality, area) VALUES
  ('NR1',  'norwich', 'Norwich city centre, Thorpe Hamlet, Lakenham'),
  ('NR2',  'norwich', 'Norwich west: Heigham, Golden Triangle'),
  ('NR3',  'norwich', 'Norwich north: Mile Cross, Sewell'),
  ('NR4',  'norwich', 'Eaton, Cringleford, University'),
  ('NR5',  'norwich', 'Bowthorpe, Costessey, Earlham'),
  ('NR6',  'norwich', 'Hellesdon, Old Catton'),
  ('NR7',  'norwich', 'Sprowston, Thorpe St Andrew'),
  ('NR8',  'norwich', 'Drayton, Taverham'),
  ('NR9',  'south',   'Hethersett, Hingham, Easton'),
  ('NR10', 'north',   'Horsford, Reepham, Buxton'),
  ('NR11', 'north',   'Aylsham, Erpingham'),
  ('NR12', 'north',   'Wroxham, Coltishall, Stalham'),
  ('NR13', 'east',    'Acle, Blofield, Brundall'),
  ('NR14', 'south',   'Poringland, Loddon, Brooke'),
  ('NR15', 'south',   'Long Stratton, Tasburgh'),
  ('NR16', 'south',   'East Harling, Banham, Kenninghall'),
  ('NR17', 'south',   'Attleborough'),
  ('NR18', 'south',   'Wymondham'),
  ('NR19', 'south',   'Dereham'),
  ('NR20', 'south',   'Mattishall, North Elmham, Swanton Morley'),
  ('NR21', 'north',   'Fakenham'),
  ('NR22', 'north',   'Walsingham'),
  ('NR23', 'north',   'Wells-next-the-Sea'),
  ('NR24', 'north',   'Melton Constable, Briston'),
  ('NR25', 'north',   'Holt'),
  ('NR26', 'north',   'Sheringham'),
  ('NR27', 'north',   'Cromer'),
  ('NR28', 'north',   'North Walsham'),
  ('NR29', 'east',    'Martham, Hemsby, Ormesby'),
  ('NR30', 'east',    'Great Yarmouth'),
  ('NR31', 'east',    'Gorleston, Bradwell, Hopton-on-Sea'),
  ('NR34', 'south',   'Gillingham, Aldeby (Norfolk side of Beccles)'),
  ('NR35', 'south',   'Ditchingham, Earsham (Norfolk side of Bungay)'),
  ('PE14', 'west',    'Emneth, Outwell, Upwell (Norfolk side of Wisbech)'),
  ('PE30', 'west',    'King''s Lynn'),
  ('PE31', 'west',    'Heacham, Snettisham, Docking'),
  ('PE32', 'west',    'Castle Acre, Grimston, Gayton'),
  ('PE33', 'west',    'Marham, Watlington, Stoke Ferry'),
  ('PE34', 'west',    'Terrington St Clement, Walpole, Tilney'),
  ('PE35', 'west',    'Sandringham, Dersingham'),
  ('PE36', 'west',    'Hunstanton'),
  ('PE37', 'west',    'Swaffham'),
  ('PE38', 'west',    'Downham Market'),
  ('IP20', 'south',   'Harleston'),
  ('IP21', 'south',   'Scole, Dickleburgh (Norfolk side of Eye)'),
  ('IP22', 'south',   'Diss'),
  ('IP24', 'south',   'Thetford'),
  ('IP25', 'south',   'Watton'),
  ('IP26', 'west',    'Methwold, Feltwell, Hockwold'),
  ('IP27', 'south',   'Weeting (Norfolk side of Brandon)');

CREATE TABLE import_run (
  id                     uuid PRIMARY KEY,
  kind                   text NOT NULL CHECK (kind IN ('cqc_directory', 'cqc_ratings')),
  file_name              text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 1000),
  file_sha256            text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  local_authority        text CHECK (length(local_authority) <= 200),
  rows_read              int NOT NULL CHECK (rows_read >= 0),
  imported               int NOT NULL CHECK (imported >= 0),
  updated                int NOT NULL CHECK (updated >= 0),
  unchanged              int NOT NULL CHECK (unchanged >= 0),
  skipped                int NOT NULL CHECK (skipped >= 0),
  rejected               int NOT NULL CHECK (rejected >= 0),
  skipped_by_reason      jsonb NOT NULL,
  organisations_created  int NOT NULL DEFAULT 0,
  organisations_updated  int NOT NULL DEFAULT 0,
  rescored               int NOT NULL DEFAULT 0,
  recorded_by            text NOT NULL,
  recorded_at            timestamptz NOT NULL,
  CHECK (imported + updated + unchanged + skipped + rejected = rows_read)
);
CREATE INDEX import_run_file ON import_run (file_sha256, recorded_at DESC);
CREATE INDEX import_run_latest ON import_run (kind, recorded_at DESC);

-- Auditing a set at once.  The row-level audit trigger (001) runs PL/pgSQL
-- once per row; an import writes a national file's 150,000 ratings, 25,000
-- providers and 17,000 organisations in three statements, and per-row
-- auditing was 90% of its time.  The same audit rows -- one per inserted,
-- changed or deleted row, same tbl, row_id, op and change, free text
-- redacted the same way, none for an UPDATE that changed nothing -- are
-- written here by statement-level triggers from the statement's transition
-- tables, one INSERT ... SELECT per statement.  Only for tables keyed by an
-- `id` column (the row id, and how an UPDATE's old and new rows are paired).
CREATE FUNCTION audit_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  -- audit_redact's column names: skip the per-row call when none are here.
  redact boolean := EXISTS (SELECT 1 FROM pg_attribute
                             WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped
                               AND attname IN ('summary', 'notes', 'note', 'reason',
                                               'closure_note', 'body'));
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit_log (tbl, row_id, op, change)
    SELECT TG_TABLE_NAME, j ->> 'id', 'INSERT', CASE WHEN redact THEN audit_redact(j) ELSE j END
      FROM (SELECT to_jsonb(n) AS j FROM new_rows n) x;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO audit_log (tbl, row_id, op, change)
    SELECT TG_TABLE_NAME, j ->> 'id', 'DELETE', CASE WHEN redact THEN audit_redact(j) ELSE j END
      FROM (SELECT to_jsonb(o) AS j FROM old_rows o) x;
  ELSE
    INSERT INTO audit_log (tbl, row_id, op, change)
    SELECT TG_TABLE_NAME, n.j ->> 'id', 'UPDATE', d.change
      FROM (SELECT to_jsonb(x) AS j FROM new_rows x) n
      JOIN (SELECT to_jsonb(x) AS j FROM old_rows x) o ON o.j -> 'id' = n.j -> 'id'
      CROSS JOIN LATERAL (
        SELECT jsonb_object_agg(nk.key, jsonb_build_object('old', ok.value, 'new', nk.value)) AS change
          FROM jsonb_each(CASE WHEN redact THEN audit_redact(n.j) ELSE n.j END) nk
          JOIN jsonb_each(CASE WHEN redact THEN audit_redact(o.j) ELSE o.j END) ok USING (key)
         WHERE nk.value IS DISTINCT FROM ok.value) d
     WHERE d.change IS NOT NULL;
  END IF;
  RETURN NULL;
END $$;

-- Replace t's row-level audit trigger with the statement-level ones.
CREATE FUNCTION audit_attach_statement(t regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE name text := 'audit_' || t::text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = t AND attname = 'id' AND NOT attisdropped) THEN
    RAISE EXCEPTION 'audit_attach_statement: % has no id column', t;
  END IF;
  EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', name, t);
  EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows'
                 ' FOR EACH STATEMENT EXECUTE FUNCTION audit_rows()', name || '_insert', t);
  EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows'
                 ' NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows()',
                 name || '_update', t);
  EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows'
                 ' FOR EACH STATEMENT EXECUTE FUNCTION audit_rows()', name || '_delete', t);
END $$;
SELECT audit_attach_statement('organisation'), audit_attach_statement('provider'),
       audit_attach_statement('cqc_rating');

-- A score recomputed because an import changed a provider's ratings or care
-- type says so.
ALTER TABLE provider_score DROP CONSTRAINT provider_score_cause_check,
  ADD CONSTRAINT provider_score_cause_check
    CHECK (cause IN ('record', 'nightly', 'activate', 'import'));

-- The seed rows above are part of the migration, not anyone's edit; changes
-- from here on are audited (the audit's row id for a district is its
-- locality; the change itself names the district).
SELECT audit_attach('postcode_district', false), audit_attach('import_run', true);

GRANT SELECT ON postcode_district, import_run TO carewatch_readonly;
GRANT INSERT, UPDATE, DELETE ON postcode_district TO carewatch_manager;
GRANT INSERT ON import_run TO carewatch_manager;
