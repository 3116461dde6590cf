-- 004_scores.sql: rulesets, score history and each provider's current score.
--
-- A ruleset is stored once per content hash; activating one appends to
-- ruleset_activation and the newest activation is the active ruleset.  Every
-- computation appends a provider_score row naming the ruleset's name and
-- hash and the as-of time, so any stored score can be reproduced; a trigger
-- keeps provider_current_score (one row per provider) for fast lists.

CREATE TABLE ruleset (
  id           uuid PRIMARY KEY,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  hash         text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
  body         text NOT NULL,
  recorded_by  text NOT NULL,
  recorded_at  timestamptz NOT NULL
);

CREATE TABLE ruleset_activation (
  id           uuid PRIMARY KEY,
  ruleset_id   uuid NOT NULL REFERENCES ruleset,
  recorded_by  text NOT NULL,
  recorded_at  timestamptz NOT NULL
);
CREATE INDEX ruleset_activation_latest ON ruleset_activation (recorded_at DESC, id DESC);

CREATE VIEW active_ruleset AS
  SELECT r.*, a.recorded_at AS activated_at, a.recorded_by AS activated_by
    FROM ruleset r
    JOIN (SELECT ruleset_id, recorded_at, recorded_by FROM ruleset_activation
           ORDER BY recorded_at DESC, id DESC LIMIT 1) a ON a.ruleset_id = r.id;

CREATE TABLE provider_score (
  id            bigserial PRIMARY KEY,
  provider_id   uuid NOT NULL REFERENCES provider,
  as_of         timestamptz NOT NULL,
  ruleset_name  text NOT NULL,
  ruleset_hash  text NOT NULL REFERENCES ruleset (hash),
  score         numeric(10,2) NOT NULL CHECK (score >= 0),
  band          text NOT NULL CHECK (band IN ('low', 'medium', 'high', 'very_high')),
  flag          boolean NOT NULL,
  detail        jsonb NOT NULL,
  cause         text NOT NULL CHECK (cause IN ('record', 'nightly', 'activate')),
  run_id        uuid,
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL
);
CREATE INDEX provider_score_history ON provider_score (provider_id, recorded_at DESC, id DESC);
CREATE INDEX provider_score_run ON provider_score (run_id) WHERE run_id IS NOT NULL;

CREATE TABLE provider_current_score (
  provider_id     uuid PRIMARY KEY REFERENCES provider,
  score_id        bigint NOT NULL REFERENCES provider_score,
  score           numeric(10,2) NOT NULL,
  band            text NOT NULL,
  flag            boolean NOT NULL,
  previous_score  numeric(10,2),
  previous_band   text,
  as_of           timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX provider_current_score_rank ON provider_current_score (score DESC);
CREATE INDEX provider_current_score_band ON provider_current_score (band, score DESC);

CREATE FUNCTION provider_score_publish() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO provider_current_score AS c
         (provider_id, score_id, score, band, flag, previous_score, previous_band, as_of, updated_at)
  VALUES (NEW.provider_id, NEW.id, NEW.score, NEW.band, NEW.flag, NULL, NULL, NEW.as_of, now())
  ON CONFLICT (provider_id) DO UPDATE
     SET previous_score = CASE WHEN c.score IS DISTINCT FROM EXCLUDED.score
                                 OR c.band IS DISTINCT FROM EXCLUDED.band
                               THEN c.score ELSE c.previous_score END,
         previous_band  = CASE WHEN c.score IS DISTINCT FROM EXCLUDED.score
                                 OR c.band IS DISTINCT FROM EXCLUDED.band
                               THEN c.band ELSE c.previous_band END,
         score_id = EXCLUDED.score_id, score = EXCLUDED.score, band = EXCLUDED.band,
         flag = EXCLUDED.flag, as_of = EXCLUDED.as_of, updated_at = now();
  RETURN NULL;
END $$;

CREATE TRIGGER provider_score_publish AFTER INSERT ON provider_score
  FOR EACH ROW EXECUTE FUNCTION provider_score_publish();
CREATE TRIGGER stamp_provider_score BEFORE INSERT ON provider_score
  FOR EACH ROW EXECUTE FUNCTION stamp_row();
SELECT audit_attach('ruleset', true), audit_attach('ruleset_activation', true);

GRANT SELECT ON ruleset, ruleset_activation, active_ruleset, provider_score,
                provider_current_score TO carewatch_readonly;
-- Recording intelligence refreshes that provider's score at once, so
-- officers append score rows (never change them); the batch does the rest.
GRANT INSERT ON provider_score TO carewatch_officer, carewatch_batch;
GRANT USAGE ON SEQUENCE provider_score_id_seq TO carewatch_officer, carewatch_batch;
GRANT INSERT ON ruleset, ruleset_activation TO carewatch_manager;
