-- 010_fast.sql: what keeps a one-shot `carewatch concern add` cheap.
--
-- A provider named exactly as stored (what completion gives) is found with
-- one btree lookup before any trigram search (src/provider.c).
CREATE INDEX provider_name ON provider (name);

-- Every recorded intelligence appends a score whose detail lists each
-- record's contribution: tens of kilobytes for a provider with years of
-- history, compressed into TOAST on every write.  lz4 compresses several
-- times faster than the default pglz, for about the same size; a server
-- built without lz4 keeps pglz.  Existing rows are left as they are.
DO $$
BEGIN
  ALTER TABLE provider_score ALTER COLUMN detail SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available: provider_score.detail stays pglz';
END $$;
