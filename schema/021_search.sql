-- 021_search.sql: full-text search over the notes people write (issue 17).
--
-- `carewatch search TEXT` finds concern summaries, visit notes, case notes
-- and flag decision notes by their words' stems: PostgreSQL's text search
-- with the 'english' configuration, so "falling" finds "falls" but not
-- "fell" (stemming is not a thesaurus).  Each text column has
-- an expression GIN index, to_tsvector('english', col); the queries below
-- use the same expression so the planner can use it.  No column is added:
-- a stored tsvector of a note would be one more free-text column to keep
-- away from readonly.
--
-- What is searched, and what each hit is called (kind):
--
--   kind         table.column                 date           record id
--   concern      concern.summary              received_at    the concern
--   visit        visit.notes                  visited_at     the visit
--   response     case_event.note (responded)  at             the case
--   closure      case_event.note (closed)     at             the case
--   reopening    case_event.note (reopened)   at             the case
--   assignment   case_event.note (assigned)   at             the case
--   flag         restriction_flag.decision_note  decided_at  the flag
--
-- Case notes come from case_event (018), the one place that keeps every
-- one of them: a reopened case's closure note is gone from case_file but
-- not from its history.  Corrected (superseded) concerns and visits are
-- left out, as in the *_current views.
--
-- Who may search: the free text is readable by officers and managers only
-- (readonly and the batch read those tables column by column, without the
-- text: 002, 003, 007, 018), so api.search refuses everyone else with
-- 42501 and a message saying who may.  It is a SECURITY DEFINER function
-- owned by carewatch_api like the others (016) so that it can use the
-- indexes for a caller and still decide by session_user; its messages hold
-- no search text and no note (the server log records ERROR lines).

CREATE INDEX concern_summary_search ON concern USING gin (to_tsvector('english', summary));
CREATE INDEX visit_notes_search ON visit USING gin (to_tsvector('english', notes))
  WHERE notes IS NOT NULL;
CREATE INDEX case_event_note_search ON case_event USING gin (to_tsvector('english', note))
  WHERE note IS NOT NULL;
CREATE INDEX restriction_flag_note_search ON restriction_flag
  USING gin (to_tsvector('english', decision_note)) WHERE decision_note IS NOT NULL;
-- A provider's case notes are found through its cases (case_file had an
-- index on the provider's open cases only).
CREATE INDEX case_file_provider ON case_file (provider_id);

-- The hits for q (websearch syntax: words, "a phrase", -not, or), best
-- first: by ts_rank, then newest first.  p_provider, p_since (London date,
-- on or after) narrow it; p_limit rows at most (NULL or 0: all).  total is
-- the number of hits before the limit (the same on every row).  snippet is
-- the note around the matched words, matched words between asterisks, on
-- one line.
--
--   SQLSTATE  when
--   42501     the caller may not read free text (readonly, batch)
--   22023     the text is empty, too long, has no words to search for
--             (only stop words such as "the" or punctuation), or the limit
--             is negative
--
-- How the rows are found.  Across the country, by the text indexes.  For
-- one provider, by the provider's own records: the planner, which cannot
-- tell how few of a word's matches are the provider's, otherwise reads the
-- whole posting list of a common word (hundreds of thousands of entries,
-- 100 ms and more) to AND it with the provider's few hundred rows, where
-- checking those rows' text costs a few milliseconds.  So for a provider
-- each table is read through a subquery the text condition cannot be
-- pushed into (OFFSET 0).  The statement is built from fixed fragments
-- only, never from the search text (a parameter, $1), and is planned
-- afresh on each call with its own values.
CREATE FUNCTION api.search(p_query text, p_provider uuid, p_since date, p_limit int)
RETURNS TABLE (provider_id uuid, provider text, kind text, at timestamptz, case_number bigint,
               snippet text, record_id uuid, rank real, total bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  q tsquery;
  since timestamptz;
  one boolean := p_provider IS NOT NULL;
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
  RETURN QUERY EXECUTE format($q$
  WITH hit AS (
    SELECT c.provider_id, 'concern'::text AS kind, c.received_at AS at, k.number,
           c.id AS record_id, c.summary AS body
      FROM %s c LEFT JOIN case_file k ON k.concern_id = c.id
     WHERE to_tsvector('english', c.summary) @@ $1
       AND ($2::uuid IS NULL OR c.provider_id = $2)
       AND ($3::timestamptz IS NULL OR c.received_at >= $3)
       AND NOT EXISTS (SELECT 1 FROM concern s WHERE s.supersedes = c.id)
    UNION ALL
    SELECT v.provider_id, 'visit', v.visited_at, NULL, v.id, v.notes
      FROM %s v
     WHERE v.notes IS NOT NULL AND to_tsvector('english', v.notes) @@ $1
       AND ($2::uuid IS NULL OR v.provider_id = $2)
       AND ($3::timestamptz IS NULL OR v.visited_at >= $3)
       AND NOT EXISTS (SELECT 1 FROM visit s WHERE s.supersedes = v.id)
    UNION ALL
    SELECT k.provider_id,
           CASE e.kind WHEN 'responded' THEN 'response' WHEN 'closed' THEN 'closure'
                       WHEN 'reopened' THEN 'reopening' ELSE 'assignment' END,
           e.at, k.number, k.id, e.note
      FROM %s e JOIN case_file k ON k.id = e.case_id
     WHERE e.note IS NOT NULL AND to_tsvector('english', e.note) @@ $1
       AND ($2::uuid IS NULL OR k.provider_id = $2)
       AND ($3::timestamptz IS NULL OR e.at >= $3)
    UNION ALL
    SELECT f.provider_id, 'flag', f.decided_at, NULL, f.id, f.decision_note
      FROM %s f
     WHERE f.decision_note IS NOT NULL AND to_tsvector('english', f.decision_note) @@ $1
       AND ($2::uuid IS NULL OR f.provider_id = $2)
       AND ($3::timestamptz IS NULL OR f.decided_at >= $3)
  ), ranked AS (
    SELECT h.*, ts_rank(to_tsvector('english', h.body), $1) AS r, count(*) OVER () AS n
      FROM hit h
     ORDER BY r DESC, h.at DESC, h.record_id
     LIMIT nullif($4, 0)
  )
  -- The snippet is made for the rows returned only (ts_headline parses
  -- the whole note again).
  SELECT x.provider_id, p.name, x.kind, x.at, x.number,
         regexp_replace(ts_headline('english', x.body, $1,
                                    'MaxFragments=1, MaxWords=14, MinWords=5, StartSel=*, StopSel=*'),
                        '\s+', ' ', 'g'),
         x.record_id, x.r, x.n
    FROM ranked x JOIN provider p ON p.id = x.provider_id
   ORDER BY x.r DESC, x.at DESC, x.record_id
  $q$,
    CASE WHEN one THEN '(SELECT * FROM concern WHERE provider_id = $2 OFFSET 0)' ELSE 'concern' END,
    CASE WHEN one THEN '(SELECT * FROM visit WHERE provider_id = $2 OFFSET 0)' ELSE 'visit' END,
    CASE WHEN one THEN '(SELECT * FROM case_event WHERE case_id IN'
                       ' (SELECT id FROM case_file WHERE provider_id = $2) OFFSET 0)'
         ELSE 'case_event' END,
    CASE WHEN one THEN '(SELECT * FROM restriction_flag WHERE provider_id = $2 OFFSET 0)'
         ELSE 'restriction_flag' END)
  USING q, p_provider, since, p_limit;
END $$;
ALTER FUNCTION api.search(text, uuid, date, int) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.search(text, uuid, date, int) FROM PUBLIC;
-- As every step function (016): every login may call it and the function
-- says who may search, rather than a bare "permission denied".
GRANT EXECUTE ON FUNCTION api.search(text, uuid, date, int) TO carewatch_readonly;
GRANT SELECT ON case_event TO carewatch_api;
