-- 028_search_fast.sql: `carewatch search` in milliseconds at national scale
-- (issue 17).
--
-- 021 ranked every match and counted them all.  At national scale (5.6
-- million concerns, 2 million case notes) a common word matches hundreds
-- of thousands of notes: each was fetched, its text parsed again for
-- ts_rank, and the lot sorted and counted, 2 to 12 seconds for a one-word
-- search across the country.  An officer searching notes wants the latest
-- ones first (as `git log --grep` does), so now:
--
--   * Newest first.  Each table gives its newest limit+1 matches, read
--     along a date index and stopped as soon as it has them (or through the
--     text index and sorted, when the planner expects few matches); the
--     union's newest limit+1 decide whether more notes match than are
--     shown.  No full count: "more notes match" is what a cut list says.
--   * A stored tsvector per note column, kept by PostgreSQL (a generated
--     column), so testing a row is a lookup in its parsed words instead of
--     parsing the note again; the GIN indexes are on those columns.
--     readonly and the batch read these tables column by column (grants.tsv),
--     and the new columns are not listed: a note's words stay as private as
--     the note.
--   * A date index on each table's noted rows, for the newest-first reads.
--
-- The statement is still built from fixed fragments only (never the search
-- text, which is $1), and planned afresh on each call with its own values;
-- for one provider the rows are read through the provider's indexes.

ALTER TABLE concern ADD COLUMN summary_tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('english', summary)) STORED;
ALTER TABLE visit ADD COLUMN notes_tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('english', notes)) STORED;
ALTER TABLE case_event ADD COLUMN note_tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('english', note)) STORED;
ALTER TABLE restriction_flag ADD COLUMN decision_note_tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('english', decision_note)) STORED;

DROP INDEX concern_summary_search;
DROP INDEX visit_notes_search;
DROP INDEX case_event_note_search;
DROP INDEX restriction_flag_note_search;
CREATE INDEX concern_summary_search ON concern USING gin (summary_tsv);
CREATE INDEX visit_notes_search ON visit USING gin (notes_tsv) WHERE notes IS NOT NULL;
CREATE INDEX case_event_note_search ON case_event USING gin (note_tsv) WHERE note IS NOT NULL;
CREATE INDEX restriction_flag_note_search ON restriction_flag USING gin (decision_note_tsv)
  WHERE decision_note IS NOT NULL;
-- Newest first across the country (concern_received, 001, serves concerns).
CREATE INDEX visit_noted_at ON visit (visited_at) WHERE notes IS NOT NULL;
CREATE INDEX case_event_noted_at ON case_event (at) WHERE note IS NOT NULL;

DROP FUNCTION api.search(text, uuid, date, int);

-- The hits for q (websearch syntax: words, "a phrase", -not, or), newest
-- first.  p_provider, p_since (London date, on or after) narrow it; p_limit
-- rows at most (NULL or 0: all).  more is true on every row when more notes
-- match than were returned.  snippet is the note around the matched words,
-- matched words between asterisks, on one line.
--
--   SQLSTATE  when
--   42501     the caller may not read free text (readonly, batch)
--   22023     the text is empty, too long, has no words to search for
--             (only stop words such as "the" or punctuation), or the limit
--             is negative
CREATE FUNCTION api.search(p_query text, p_provider uuid, p_since date, p_limit int)
RETURNS TABLE (provider_id uuid, provider text, kind text, at timestamptz, case_number bigint,
               snippet text, record_id uuid, more boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  q tsquery;
  since timestamptz;
  lim int;
  -- The narrowing conditions of each table, from fixed fragments: %1$s the
  -- provider's column, %2$s the date column.
  cond text := CASE WHEN p_provider IS NULL THEN '' ELSE ' AND %1$s = $2' END
            || CASE WHEN p_since IS NULL THEN '' ELSE ' AND %2$s >= $3' END;
BEGIN
  PERFORM api.require('carewatch_officer',
                      'searching notes is for QA officers and the quality manager');
  IF p_query IS NULL OR btrim(p_query, E' \t\n\r') = '' THEN
    RAISE EXCEPTION 'the search text is empty' USING ERRCODE = '22023';
  END IF;
  IF length(p_query) > 1000 THEN
    RAISE EXCEPTION 'the search text is longer than 1000 characters' USING ERRCODE = '22023';
  END IF;
  IF p_limit < 0 THEN
    RAISE EXCEPTION 'the limit is negative' USING ERRCODE = '22023';
  END IF;
  q := websearch_to_tsquery('english', p_query);
  IF numnode(q) = 0 THEN
    RAISE EXCEPTION 'the search text has no words to search for (only common words such as '
                    '"the" or punctuation)' USING ERRCODE = '22023';
  END IF;
  since := p_since::timestamp AT TIME ZONE 'Europe/London';
  lim := nullif(p_limit, 0) + 1;
  RETURN QUERY EXECUTE format($q$
  WITH hit AS (
    (SELECT c.provider_id, 'concern'::text AS kind, c.received_at AS at, NULL::bigint AS number,
            c.id AS record_id, c.summary AS body
       FROM concern c
      WHERE c.summary_tsv @@ $1 %s
        AND NOT EXISTS (SELECT 1 FROM concern s WHERE s.supersedes = c.id)
      ORDER BY c.received_at DESC, c.id LIMIT $4)
    UNION ALL
    (SELECT v.provider_id, 'visit', v.visited_at, NULL, v.id, v.notes
       FROM visit v
      WHERE v.notes IS NOT NULL AND v.notes_tsv @@ $1 %s
        AND NOT EXISTS (SELECT 1 FROM visit s WHERE s.supersedes = v.id)
      ORDER BY v.visited_at DESC, v.id LIMIT $4)
    UNION ALL
    (SELECT k.provider_id,
            CASE e.kind WHEN 'responded' THEN 'response' WHEN 'closed' THEN 'closure'
                        WHEN 'reopened' THEN 'reopening' ELSE 'assignment' END,
            e.at, k.number, k.id, e.note
       FROM case_event e JOIN case_file k ON k.id = e.case_id
      WHERE e.note IS NOT NULL AND e.note_tsv @@ $1 %s
      ORDER BY e.at DESC, e.id LIMIT $4)
    UNION ALL
    (SELECT f.provider_id, 'flag', f.decided_at, NULL, f.id, f.decision_note
       FROM restriction_flag f
      WHERE f.decision_note IS NOT NULL AND f.decision_note_tsv @@ $1 %s
      ORDER BY f.decided_at DESC, f.id LIMIT $4)
  ), newest AS (
    SELECT h.*, coalesce(count(*) OVER () > $4 - 1, false) AS more
      FROM hit h
     ORDER BY h.at DESC, h.record_id, h.kind
     LIMIT $4
  )
  -- The snippet and a concern's case number are found for the rows
  -- returned only (ts_headline parses the whole note again).
  SELECT x.provider_id, p.name, x.kind, x.at,
         coalesce(x.number, (SELECT k.number FROM case_file k
                              WHERE x.kind = 'concern' AND k.concern_id = x.record_id)),
         regexp_replace(ts_headline('english', x.body, $1,
                                    'MaxFragments=1, MaxWords=14, MinWords=5, StartSel=*, StopSel=*'),
                        '\s+', ' ', 'g'),
         x.record_id, x.more
    FROM newest x JOIN provider p ON p.id = x.provider_id
   ORDER BY x.at DESC, x.record_id, x.kind
   LIMIT $4 - 1
  $q$,
    format(cond, 'c.provider_id', 'c.received_at'),
    format(cond, 'v.provider_id', 'v.visited_at'),
    format(cond, 'k.provider_id', 'e.at'),
    format(cond, 'f.provider_id', 'f.decided_at'))
  USING q, p_provider, since, lim;
END $$;
ALTER FUNCTION api.search(text, uuid, date, int) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.search(text, uuid, date, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.search(text, uuid, date, int) TO carewatch_readonly;
