-- 017_grants.sql: every role's privileges come from one allow-list.
--
-- schema/grants.tsv lists, one per line, what each carewatch role may do:
--
--   role <TAB> object <TAB> column <TAB> privilege
--
-- object is a table or view (`concern`), `sequence:NAME`, `schema:NAME` or
-- `function:api.NAME(ARGTYPES)`; column is a column name, or `*` for the
-- whole table (only where the table has no column a role should not read:
-- a new column of a table granted column by column stays private until it
-- is listed).  `carewatch db migrate` applies the file after the
-- migrations (grants_apply): it revokes everything the carewatch roles and
-- PUBLIC hold on the schema's objects and grants exactly the list, in the
-- same transaction.  tests/test_grants.c compares grants_list() (what the
-- catalog grants) with the file both ways.

-- The privileges the catalog holds for the carewatch roles and PUBLIC on
-- the objects of schemas public and api (extension objects aside), in the
-- file's form.
CREATE FUNCTION grants_list()
RETURNS TABLE (role text, object text, col text, privilege text)
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  WITH who AS (
    SELECT oid, rolname FROM pg_roles WHERE rolname LIKE 'carewatch\_%'
    UNION ALL SELECT 0, 'PUBLIC'),
  mine AS (
    SELECT n.oid FROM pg_namespace n WHERE n.nspname IN ('public', 'api')),
  ext AS (
    SELECT d.classid, d.objid FROM pg_depend d WHERE d.deptype = 'e')
  SELECT w.rolname, CASE WHEN c.relkind = 'S' THEN 'sequence:' || c.relname
                         ELSE c.oid::regclass::text END, '*', a.privilege_type
    FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a JOIN who w ON w.oid = a.grantee
   WHERE c.relnamespace IN (SELECT oid FROM mine) AND a.grantee <> c.relowner
     AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
  UNION ALL
  SELECT w.rolname, c.oid::regclass::text, t.attname, a.privilege_type
    FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid
   CROSS JOIN LATERAL aclexplode(t.attacl) a JOIN who w ON w.oid = a.grantee
   WHERE c.relnamespace IN (SELECT oid FROM mine) AND t.attnum > 0 AND NOT t.attisdropped
  UNION ALL
  SELECT w.rolname, 'function:' || p.oid::regprocedure::text, '-', a.privilege_type
    FROM pg_proc p
   CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
    JOIN who w ON w.oid = a.grantee
   WHERE p.pronamespace IN (SELECT oid FROM mine) AND a.grantee <> p.proowner
     AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
  UNION ALL
  SELECT w.rolname, 'schema:' || n.nspname, '-', a.privilege_type
    FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a JOIN who w ON w.oid = a.grantee
   WHERE n.oid IN (SELECT oid FROM mine) AND a.grantee <> n.nspowner
$$;

-- The file's lines as rows; a malformed line is an error naming its number.
CREATE FUNCTION grants_parse(spec text)
RETURNS TABLE (role text, object text, col text, privilege text)
LANGUAGE plpgsql IMMUTABLE SET search_path = public, pg_temp AS $$
DECLARE
  line text;
  f text[];
  n int := 0;
BEGIN
  FOR line IN SELECT l FROM regexp_split_to_table(spec, E'\n') AS l LOOP
    n := n + 1;
    CONTINUE WHEN line ~ '^\s*(#|$)';
    f := string_to_array(line, E'\t');
    IF cardinality(f) <> 4 THEN
      RAISE EXCEPTION 'grants.tsv line %: expected 4 tab-separated fields, found %', n, cardinality(f)
        USING ERRCODE = '22023';
    END IF;
    IF f[1] NOT IN ('carewatch_readonly', 'carewatch_officer', 'carewatch_manager',
                    'carewatch_batch', 'carewatch_api') THEN
      RAISE EXCEPTION 'grants.tsv line %: unknown role %', n, quote_literal(f[1])
        USING ERRCODE = '22023';
    END IF;
    IF f[4] NOT IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'USAGE', 'EXECUTE') THEN
      RAISE EXCEPTION 'grants.tsv line %: privilege % is not allowed here', n, quote_literal(f[4])
        USING ERRCODE = '22023';
    END IF;
    role := f[1]; object := f[2]; col := f[3]; privilege := f[4];
    RETURN NEXT;
  END LOOP;
END $$;

-- Revoke everything, then grant the list.  Returns the grants made.
CREATE FUNCTION grants_apply(spec text) RETURNS int
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  everyone text := 'PUBLIC, carewatch_readonly, carewatch_officer, carewatch_manager, '
                   'carewatch_batch, carewatch_api';
  people text := 'PUBLIC, carewatch_readonly, carewatch_officer, carewatch_manager, carewatch_batch';
  others text;
  o record;
  g record;
  n int := 0;
BEGIN
  -- Never from an object's owner (carewatch_api owns the api staging tables).
  FOR o IN SELECT c.oid::regclass AS t, c.relkind, pg_get_userbyid(c.relowner) AS owner
             FROM pg_class c
            WHERE c.relnamespace IN ('public'::regnamespace, 'api'::regnamespace)
              AND c.relkind IN ('r', 'v', 'm', 'p', 'S')
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                 AND d.objid = c.oid AND d.deptype = 'e') LOOP
    others := CASE WHEN o.owner = 'carewatch_api' THEN people ELSE everyone END;
    EXECUTE format('REVOKE ALL ON %s %s FROM %s',
                   CASE WHEN o.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, o.t, others);
  END LOOP;
  -- Functions: never from their owner (carewatch_api calls its own).
  FOR o IN SELECT p.oid::regprocedure AS f FROM pg_proc p
            WHERE p.pronamespace IN ('public'::regnamespace, 'api'::regnamespace)
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                                 AND d.objid = p.oid AND d.deptype = 'e') LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %s', o.f, people);
  END LOOP;
  EXECUTE format('REVOKE ALL ON SCHEMA public FROM %s', everyone);
  EXECUTE format('REVOKE ALL ON SCHEMA api FROM %s', people);
  FOR g IN SELECT * FROM grants_parse(spec) LOOP
    IF g.object LIKE 'schema:%' THEN
      EXECUTE format('GRANT %s ON SCHEMA %I TO %I', g.privilege, substr(g.object, 8), g.role);
    ELSIF g.object LIKE 'sequence:%' THEN
      EXECUTE format('GRANT %s ON SEQUENCE %s TO %I', g.privilege,
                     substr(g.object, 10)::regclass, g.role);
    ELSIF g.object LIKE 'function:%' THEN
      EXECUTE format('GRANT %s ON FUNCTION %s TO %I', g.privilege,
                     substr(g.object, 10)::regprocedure, g.role);
    ELSIF g.col = '*' THEN
      EXECUTE format('GRANT %s ON TABLE %s TO %I', g.privilege, g.object::regclass, g.role);
    ELSE
      EXECUTE format('GRANT %s (%I) ON TABLE %s TO %I', g.privilege, g.col, g.object::regclass,
                     g.role);
    END IF;
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;
