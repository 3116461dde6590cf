-- 032_search_fast.sql: `carewatch search` in milliseconds at national scale
-- (issue 17).  Withdrawn and corrected records (030) are left out, as in
-- the *_current views.
--
-- 021 ranked every match and counted them all.  At national scale (5.6
-- million concerns, 2 million case notes) a common word matches hundreds
-- of thousands of notes: each was fetched, its text parsed again for
-- ts_rank, and the lot sorted and counted, 2 to 12 seconds for a one-word
-- search across the country.  An officer searching notes wants the latest
-- ones first (as `git log --grep` lists), so now the search is newest
-- first, with no ranking and no full count ("more notes match" is what a
-- cut list says), and it reads only as far back as it must:
--
--   * Each note column has a stored copy of its words (a generated
--     tsvector column), so a row is tested by a lookup instead of by
--     parsing the note again.  readonly and the batch read these tables
--     column by column (grants.tsv) and the new columns are not listed: a
--     note's words stay as private as the note.
--   * Those words include one made-up word for the week the record is
--     dated in ('~' and a week number, api.search_week below; no English
--     word can parse to it), so the GIN index alone answers "the notes
--     with these words in these weeks": search_hits asks for the newest
--     week, then the 4 before it, then 16, then all older notes at once,
--     and stops once it has enough.  A common word is answered from the
--     last week or few, fetching only those weeks' matches; a rare or
--     absent one from a few index reads, never by walking the table.
--     (The planner cannot choose this by itself: for a word its
--     statistics do not hold it guessed 5,000 case notes for a word in
--     none, and walked two million rows along the date index looking for
--     them; given the whole table it fetches every match to sort them.)
--   * One provider's notes are read through an index of its rows that
--     holds their words (a few thousand entries at most, together),
--     newest first, never by intersecting the word index with the
--     provider index (which reads a common word's whole posting list,
--     186,000 entries, to keep a hundred).

-- The statement is still built from fixed fragments only (never the
-- search text, which is a parameter).

-- The week a record is dated in, as a number (weeks since 1970-01-01 UTC;
-- UTC so that it is fixed: weeks only need to be the same for the words
-- and the search).
CREATE FUNCTION api.search_week(t timestamptz) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN floor(extract(epoch FROM t AT TIME ZONE 'UTC') / 604800)::int;

-- A note's words, with its week's made-up word (none without a date; no
-- words without a note).
CREATE FUNCTION api.search_words(note text, t timestamptz) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN to_tsvector('english', note)
       || CASE WHEN t IS NULL THEN ''::tsvector
               ELSE array_to_tsvector(ARRAY['~' || api.search_week(t)]) END;
-- Every role that writes notes computes them (a generated column's
-- functions are called as the writer); they read nothing.
ALTER FUNCTION api.search_week(timestamptz) OWNER TO carewatch_api;
ALTER FUNCTION api.search_words(text, timestamptz) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.search_week(timestamptz), api.search_words(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.search_week(timestamptz), api.search_words(text, timestamptz)
  TO carewatch_readonly;

ALTER TABLE concern ADD COLUMN summary_tsv tsvector
  GENERATED ALWAYS AS (api.search_words(summary, received_at)) STORED;
ALTER TABLE visit ADD COLUMN notes_tsv tsvector
  GENERATED ALWAYS AS (api.search_words(notes, visited_at)) STORED;
ALTER TABLE case_event ADD COLUMN note_tsv tsvector
  GENERATED ALWAYS AS (api.search_words(note, at)) STORED;
ALTER TABLE restriction_flag ADD COLUMN decision_note_tsv tsvector
  GENERATED ALWAYS AS (api.search_words(decision_note, decided_at)) STORED;

DROP INDEX concern_summary_search;
DROP INDEX visit_notes_search;
DROP INDEX case_event_note_search;
DROP INDEX restriction_flag_note_search;
CREATE INDEX concern_summary_search ON concern USING gin (summary_tsv);
CREATE INDEX visit_notes_search ON visit USING gin (notes_tsv) WHERE notes IS NOT NULL;
CREATE INDEX case_event_note_search ON case_event USING gin (note_tsv) WHERE note IS NOT NULL;
CREATE INDEX restriction_flag_note_search ON restriction_flag USING gin (decision_note_tsv)
  WHERE decision_note IS NOT NULL;
-- The newest week of each table's notes (concern_received, 001, serves
-- concerns).
CREATE INDEX visit_noted_at ON visit (visited_at) WHERE notes IS NOT NULL;
CREATE INDEX case_event_noted_at ON case_event (at) WHERE note IS NOT NULL;
CREATE INDEX restriction_flag_noted_at ON restriction_flag (decided_at)
  WHERE decision_note IS NOT NULL;
-- One provider's notes newest first, with their words in the index: the
-- provider's few thousand entries lie together and are tested there
-- (an index-only scan), and only the matches are fetched.  Scattered
-- over the table, the busiest provider's 4,000 concerns were 4,000 page
-- reads.
CREATE INDEX concern_provider_words ON concern (provider_id, received_at) INCLUDE (id, summary_tsv);
CREATE INDEX visit_provider_words ON visit (provider_id, visited_at) INCLUDE (id, notes_tsv)
  WHERE notes IS NOT NULL;
CREATE INDEX case_event_case_words ON case_event (case_id, at) INCLUDE (id, note_tsv)
  WHERE note IS NOT NULL;
DROP INDEX case_file_provider;
CREATE INDEX case_file_provider ON case_file (provider_id) INCLUDE (id);

DROP FUNCTION api.search(text, uuid, date, int);

-- The newest lim matches of q in each table (all of them when lim is
-- NULL), as hits.  For one provider, its own records newest first, until
-- lim match.  Across the country, by weeks as above.  No parallel workers:
-- starting them costs more than these reads.  Internal: only api.search
-- (owned by the same role) calls it.
CREATE FUNCTION api.search_hits(q tsquery, p_provider uuid, p_since timestamptz, lim int)
RETURNS TABLE (provider_id uuid, kind text, at timestamptz, number bigint, record_id uuid,
               body text, seq bigint)
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
  spans constant int[] := '{1,4,16}';
  t record;
  cond text;
  pick text;
  hi int;
  got bigint;
  n bigint;
  weeks tsquery;
BEGIN
  -- Each table: its name, date column, words column, the provider's rows,
  -- the conditions always applied, the hit's columns and what the hit
  -- joins.
  FOR t IN SELECT * FROM (VALUES
    ('concern', 'received_at', 'summary_tsv', 'r.provider_id = $2',
     'NOT EXISTS (SELECT 1 FROM concern s WHERE s.supersedes = r.id)'
     ' AND NOT EXISTS (SELECT 1 FROM record_withdrawal w WHERE w.record_id = r.id)', 'true',
     'r.provider_id, ''concern''::text, r.received_at, NULL::bigint, r.id, r.summary, 0::bigint',
     ''),
    ('visit', 'visited_at', 'notes_tsv', 'r.provider_id = $2',
     'NOT EXISTS (SELECT 1 FROM visit s WHERE s.supersedes = r.id)'
     ' AND NOT EXISTS (SELECT 1 FROM record_withdrawal w WHERE w.record_id = r.id)',
     'r.notes IS NOT NULL',
     'r.provider_id, ''visit''::text, r.visited_at, NULL::bigint, r.id, r.notes, 0::bigint', ''),
    ('case_event', 'at', 'note_tsv',
     'r.case_id IN (SELECT k.id FROM case_file k WHERE k.provider_id = $2)', 'true',
     'r.note IS NOT NULL',
     'k.provider_id, CASE r.kind WHEN ''responded'' THEN ''response'' WHEN ''closed'' THEN'
     ' ''closure'' WHEN ''reopened'' THEN ''reopening'' WHEN ''assigned'' THEN ''assignment'''
     ' ELSE r.kind END, r.at, k.number,'
     ' k.id, r.note, r.id',
     ' JOIN case_file k ON k.id = r.case_id'),
    ('restriction_flag', 'decided_at', 'decision_note_tsv', 'r.provider_id = $2', 'true',
     'r.decision_note IS NOT NULL',
     'r.provider_id, ''flag''::text, r.decided_at, NULL::bigint, r.id, r.decision_note, 0::bigint',
     '')
  ) AS s (tab, at, words, by_provider, current, noted, cols, joins)
  LOOP
    cond := t.noted || ' AND ' || t.current
         || CASE WHEN p_since IS NULL THEN '' ELSE format(' AND r.%I >= $3', t.at) END;
    IF p_provider IS NOT NULL THEN
      -- The provider's matches, newest first, found in the *_words
      -- indexes (ids only); then the rows.
      RETURN QUERY EXECUTE format(
        'SELECT %1$s FROM (SELECT r.id FROM %2$I r WHERE %3$s AND %4$s AND r.%5$I @@ $1'
        ' ORDER BY r.%6$I DESC, r.id LIMIT $4) w JOIN %2$I r ON r.id = w.id%7$s'
        ' ORDER BY r.%6$I DESC, r.id',
        t.cols, t.tab, t.by_provider, cond, t.words, t.at, t.joins)
        USING q, p_provider, p_since, lim;
      CONTINUE;
    END IF;
    -- Across the country the date is a filter on the word index's matches,
    -- never an index range to intersect with them (a month's 93,000
    -- entries read to keep a week's few hundred).
    cond := t.noted || ' AND ' || t.current
         || CASE WHEN p_since IS NULL THEN ''
                 ELSE format(' AND r.%I + interval ''0 s'' >= $3', t.at) END;
    pick := format('SELECT %s FROM %I r%s WHERE %s', t.cols, t.tab, t.joins, cond);
    EXECUTE format('SELECT api.search_week(max(r.%I)) FROM %I r WHERE %s', t.at, t.tab, t.noted)
      INTO hi;
    CONTINUE WHEN hi IS NULL;
    got := 0;
    FOR i IN 1 .. array_length(spans, 1) + 1 LOOP
      EXIT WHEN lim IS NOT NULL AND got >= lim;
      EXIT WHEN p_since IS NOT NULL AND hi < api.search_week(p_since);
      -- Ordered by an expression, so that the planner reads the matches
      -- through the word index rather than walking the date index.
      IF i <= array_length(spans, 1) THEN
        SELECT string_agg(quote_literal('~' || w), ' | ')::tsquery INTO weeks
          FROM generate_series(hi - spans[i] + 1, hi) w;
        RETURN QUERY EXECUTE format('%s AND r.%I @@ ($1 && $5) ORDER BY r.%I + interval ''0 s'''
                                    ' DESC, r.id LIMIT $4', pick, t.words, t.at)
          USING q, p_provider, p_since, lim - got, weeks;
        hi := hi - spans[i];
      ELSE
        -- Older than every week asked for so far: few matches were found
        -- in recent notes, so the words are rare; the rest at once.
        RETURN QUERY EXECUTE format('%s AND r.%I @@ $1 AND r.%I < $5 ORDER BY r.%I + interval'
                                    ' ''0 s'' DESC, r.id LIMIT $4', pick, t.words, t.at, t.at)
          USING q, p_provider, p_since, lim - got, to_timestamp((hi + 1)::float8 * 604800);
      END IF;
      GET DIAGNOSTICS n = ROW_COUNT;
      got := got + n;
    END LOOP;
  END LOOP;
END $$;
ALTER FUNCTION api.search_hits(tsquery, uuid, timestamptz, int) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.search_hits(tsquery, uuid, timestamptz, int) FROM PUBLIC;

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
  lim int;
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
  lim := nullif(p_limit, 0) + 1;
  RETURN QUERY
  WITH newest AS (
    SELECT h.*, coalesce(count(*) OVER () >= lim, false) AS more
      FROM api.search_hits(q, p_provider, p_since::timestamp AT TIME ZONE 'Europe/London', lim) h
     ORDER BY h.at DESC, h.record_id, h.seq
     LIMIT lim
  )
  -- The snippet and a concern's case number are found for the rows
  -- returned only (ts_headline parses the whole note again).
  SELECT x.provider_id, p.name, x.kind, x.at,
         coalesce(x.number, (SELECT k.number FROM case_file k
                              WHERE x.kind = 'concern' AND k.concern_id = x.record_id)),
         regexp_replace(ts_headline('english', x.body, q,
                                    'MaxFragments=1, MaxWords=14, MinWords=5, StartSel=*, StopSel=*'),
                        '\s+', ' ', 'g'),
         x.record_id, x.more
    FROM newest x JOIN provider p ON p.id = x.provider_id
   ORDER BY x.at DESC, x.record_id, x.seq
   LIMIT lim - 1;
END $$;
ALTER FUNCTION api.search(text, uuid, date, int) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.search(text, uuid, date, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.search(text, uuid, date, int) TO carewatch_readonly;
