/*
 * test_cqc_sync.c - `carewatch cqc sync` against a CQC API of the test's
 * own: a small HTTP server forked here on 127.0.0.1 (an ephemeral port),
 * answering with JSON written for the tests in the API's shapes.
 *
 * Unit part: reading the API's JSON -- paging, a soft 429, a malformed
 * body, a location with only assessment[] and Not Rated at location level,
 * the newest publication winning either way.
 *
 * Integration part: a sync over two windows (paging, a location carewatch
 * does not hold, HTTP 429 with Retry-After and a soft 429 retried, a 404
 * counted, currentRatings and assessment[] read, a deregistration closing a
 * provider), checked row by row; the cursor moving only with a window
 * stored whole; and the failures -- a malformed body, a connection cut
 * every time, a refused key (401), a server that never answers -- each one
 * clear error naming the endpoint, nothing stored, the cursor where it was.
 * The key travels in the Ocp-Apim-Subscription-Key header (the server
 * refuses requests without it and without a User-Agent) and appears in no
 * output, log or audit row.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"
#include "carewatch/cqc_api.h"

#define MANAGER "PGUSER=cwt_sync_mary"
#define KEY "cwt-secret-key-4e1f"

/* ---- unit: the JSON ---- */

static void
test_cqc_sync_changes_pages_and_soft_429(void **state)
{
	static const char p1[] = "{\"total\": 3, \"page\": 1, \"totalPages\": 2, \"nextPageUri\":"
				 " \"changes/location?page=2\", \"changes\": [\"1-101\", \"1-102\"]}";
	static const char p2[] = "{\"total\": 3, \"page\": 2, \"totalPages\": 2, \"nextPageUri\": null,"
				 " \"changes\": [\"1-103\"]}";
	struct cw_cqc_changes ch = {0};
	char why[200];

	(void)state;
	assert_int_equal(cw_cqc_changes_parse(p1, strlen(p1), &ch, why, sizeof(why)), CW_CQC_OK);
	assert_int_equal(cw_cqc_changes_parse(p2, strlen(p2), &ch, why, sizeof(why)), CW_CQC_OK);
	assert_int_equal(ch.nids, 3);
	assert_int_equal(ch.total_pages, 2);
	assert_string_equal(ch.ids[2], "1-103");
	{
		static const char soft[] = "{\"statusCode\": 429, \"message\": \"Rate limit is exceeded\"}";
		assert_int_equal(cw_cqc_changes_parse(soft, strlen(soft), &ch, why, sizeof(why)),
				 CW_CQC_RATE_LIMITED);
	}
	assert_int_equal(cw_cqc_changes_parse("{\"changes\": [1-1]", 17, &ch, why, sizeof(why)),
			 CW_CQC_MALFORMED);
	assert_non_null(strstr(why, "not JSON"));
	assert_int_equal(cw_cqc_changes_parse("{\"total\": 0}", 12, &ch, why, sizeof(why)), CW_CQC_MALFORMED);
	assert_string_equal(why, "no changes[] array");
	free(ch.ids);
}

static const char loc_current[] =
	"{\"locationId\": \"1-101\", \"numberOfBeds\": 31, \"currentRatings\": {\"overall\":"
	" {\"rating\": \"Good\", \"reportDate\": \"2024-05-20\", \"keyQuestionRatings\": ["
	"  {\"name\": \"Safe\", \"rating\": \"Requires improvement\", \"reportDate\": \"2024-05-20\"},"
	"  {\"name\": \"Well-led\", \"rating\": \"Good\"}, {\"name\": \"Caring\", \"rating\": \"Not rated\"}]}},"
	" \"historicRatings\": [{\"reportDate\": \"2020-01-01\", \"overall\": {\"rating\": \"Inadequate\"}}],"
	" \"assessment\": [{\"publicationDate\": \"2023-01-10\", \"ratings\": {\"overall\": {\"rating\": \"Inadequate\"}}}]}";

static const char loc_assessment[] =
	"{\"locationId\": \"1-102\", \"assessment\": [{\"assessmentPlanPublishedDate\": \"2024-05-30T09:00:00Z\","
	" \"ratings\": {\"overall\": [{\"rating\": \"Not Rated\"}], \"asgRatings\": ["
	"  {\"name\": \"Community based adult social care services\", \"rating\": \"Good\","
	"   \"keyQuestionRatings\": [{\"name\": \"Safe\", \"rating\": \"Requires Improvement\"}]},"
	"  {\"name\": \"Residential social care\", \"rating\": \"Requires Improvement\"}]}}]}";

static const char loc_deregistered[] =
	"{\"locationId\": \"1-103\", \"numberOfBeds\": 12, \"deregistrationDate\": \"2024-06-01\","
	" \"currentRatings\": {\"overall\": {\"rating\": \"Outstanding\", \"reportDate\": \"2024-05-25\","
	" \"keyQuestionRatings\": []}}}";

static void
test_cqc_sync_location_newest_publication_wins(void **state)
{
	struct cw_cqc_location *l = malloc(sizeof(*l));
	char why[200];

	(void)state;
	assert_non_null(l);
	assert_int_equal(cw_cqc_location_parse(loc_current, strlen(loc_current), l, why, sizeof(why)),
			 CW_CQC_OK);
	/* currentRatings (2024) is newer than the assessment (2023). */
	assert_string_equal(l->source, "currentRatings");
	assert_int_equal(l->beds, 31);
	assert_int_equal(l->nr, 3);
	assert_int_equal(l->not_ratings, 1);
	assert_int_equal(l->r[1].domain, CW_DOMAIN_SAFE);
	assert_int_equal(l->r[1].rating, CW_RATING_REQUIRES_IMPROVEMENT);
	assert_int_equal(l->r[2].published.d, 20);     /* a key question without a date: the report's */
	assert_int_equal(l->r[0].framework, CW_FRAMEWORK_SAF);
	/* Only assessment[]: Not Rated itself, ratings per service group. */
	assert_int_equal(cw_cqc_location_parse(loc_assessment, strlen(loc_assessment), l, why, sizeof(why)),
			 CW_CQC_OK);
	assert_string_equal(l->source, "assessment");
	assert_int_equal(l->beds, -1);
	assert_int_equal(l->ngroups, 2);
	assert_int_equal(l->nr, 3);
	assert_int_equal(l->not_ratings, 1);
	assert_int_equal(l->r[0].group, 0);
	assert_int_equal(l->r[2].group, 1);
	assert_int_equal(l->r[2].rating, CW_RATING_REQUIRES_IMPROVEMENT);
	assert_int_equal(l->r[2].published.m, 5);
	assert_int_equal(cw_cqc_location_parse(loc_deregistered, strlen(loc_deregistered), l, why,
					       sizeof(why)), CW_CQC_OK);
	assert_true(l->deregistered);
	assert_int_equal(l->deregistered_on.m, 6);
	/* An assessment newer than currentRatings wins. */
	{
		static const char both[] =
			"{\"locationId\": \"1-104\", \"currentRatings\": {\"overall\": {\"rating\": \"Good\","
			" \"reportDate\": \"2022-01-01\"}}, \"assessment\": [{\"publicationDate\": \"2024-01-01\","
			" \"ratings\": {\"overall\": {\"rating\": \"Inadequate\"}}}]}";
		assert_int_equal(cw_cqc_location_parse(both, strlen(both), l, why, sizeof(why)), CW_CQC_OK);
		assert_string_equal(l->source, "assessment");
		assert_int_equal(l->nr, 1);
		assert_int_equal(l->r[0].rating, CW_RATING_INADEQUATE);
	}
	assert_int_equal(cw_cqc_location_parse("{\"statusCode\": 429}", 19, l, why, sizeof(why)),
			 CW_CQC_RATE_LIMITED);
	assert_int_equal(cw_cqc_location_parse("[]", 2, l, why, sizeof(why)), CW_CQC_MALFORMED);
	assert_int_equal(cw_cqc_location_parse("{\"numberOfBeds\": 3}", 19, l, why, sizeof(why)),
			 CW_CQC_MALFORMED);
	assert_string_equal(why, "no locationId");
	free(l);
}

/* ---- the test's API ---- */

enum scenario { S_GOOD, S_MALFORMED, S_CUT, S_REFUSED, S_SILENT };

static pid_t server;
static int port;
static char conf[64], keyfile[64];

static void
reply(int fd, int code, const char *extra, const char *body)
{
	char head[512];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n%s\r\n", code,
			 code == 200 ? "OK" : code == 404 ? "Not Found" : code == 429 ? "Too Many Requests"
			 : "Unauthorized", strlen(body), extra ? extra : "");

	if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
		return;
}

/* One connection: read the request, answer as the scenario says. */
static void
serve(int fd, enum scenario sc, int *hits)
{
	char req[8192], path[1024];
	size_t n = 0;
	ssize_t k;

	while (n < sizeof(req) - 1 && (k = read(fd, req + n, sizeof(req) - 1 - n)) > 0) {
		n += (size_t)k;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[n] = '\0';
	if (sscanf(req, "GET %1023s", path) != 1)
		return;
	if (sc == S_SILENT) {
		sleep(5);
		return;
	}
	if (sc == S_REFUSED || strstr(req, "Ocp-Apim-Subscription-Key: " KEY "\r\n") == NULL ||
	    strstr(req, "User-Agent: ") == NULL) {
		reply(fd, 401, NULL, "{\"statusCode\": 401, \"message\": \"Access denied due to invalid"
				     " subscription key.\"}");
		return;
	}
	if (sc == S_CUT) {
		static const char cut[] = "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"total\": 1, \"pa";
		if (write(fd, cut, sizeof(cut) - 1) < 0)
			return;
		return;
	}
	if (strstr(path, "/changes/location?startTimestamp=2024-06-01T00:00:00Z&endTimestamp=2024-06-02T00:00:00Z"
			 "&page=1&")) {
		reply(fd, 200, NULL, "{\"total\": 4, \"page\": 1, \"totalPages\": 2, \"nextPageUri\":"
				     " \"changes/location?page=2\", \"changes\": [\"1-101\", \"1-555\"]}");
	} else if (strstr(path, "/changes/location?startTimestamp=2024-06-01T00:00:00Z&endTimestamp="
				"2024-06-02T00:00:00Z&page=2&")) {
		reply(fd, 200, NULL, "{\"total\": 4, \"page\": 2, \"totalPages\": 2, \"nextPageUri\": null,"
				     " \"changes\": [\"1-102\", \"1-103\"]}");
	} else if (strstr(path, "/changes/location?startTimestamp=2024-06-02T00:00:00Z&endTimestamp="
				"2024-06-03T00:00:00Z&page=1&")) {
		reply(fd, 200, NULL, "{\"total\": 1, \"page\": 1, \"totalPages\": 1, \"changes\": [\"1-104\"]}");
	} else if (strstr(path, "/changes/location?startTimestamp=2024-06-03T00:00:00Z")) {
		reply(fd, 200, NULL, "{\"total\": 1, \"page\": 1, \"totalPages\": 1, \"changes\": [\"1-101\"]}");
	} else if (strcmp(path, "/locations/1-101") == 0) {
		reply(fd, 200, NULL, sc == S_MALFORMED ? "{\"locationId\": \"1-101\", \"currentRat" : loc_current);
	} else if (strcmp(path, "/locations/1-102") == 0) {
		reply(fd, 200, NULL, loc_assessment);
	} else if (strcmp(path, "/locations/1-103") == 0) {
		/* Rate limited twice, then the answer. */
		int h = hits[3]++;
		if (h == 0)
			reply(fd, 429, "Retry-After: 0\r\n", "{\"statusCode\": 429}");
		else if (h == 1)
			reply(fd, 200, NULL, "{\"statusCode\": 429, \"message\": \"Rate limit is exceeded. Try again"
					     " in 1 seconds.\"}");
		else
			reply(fd, 200, NULL, loc_deregistered);
	} else {
		reply(fd, 404, NULL, "{\"statusCode\": 404, \"message\": \"Resource not found\"}");
	}
}

/* Start the API on 127.0.0.1 (any free port) for one scenario; it stops
 * by itself after 60 s or 200 connections. */
static void
api_start(enum scenario sc)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	FILE *f;

	assert_true(s >= 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 16), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	server = fork();
	assert_true(server >= 0);
	if (server == 0) {
		int hits[8] = {0};
		alarm(60);
		for (int i = 0; i < 200; i++) {
			int c = accept(s, NULL, NULL);
			if (c < 0)
				break;
			serve(c, sc, hits);
			close(c);
		}
		_exit(0);
	}
	close(s);
	snprintf(conf, sizeof(conf), "/tmp/cwt-sync-%d.conf", (int)getpid());
	snprintf(keyfile, sizeof(keyfile), "/tmp/cwt-sync-%d.key", (int)getpid());
	f = fopen(keyfile, "w");
	assert_non_null(f);
	fputs(KEY "\n", f);
	fclose(f);
	assert_int_equal(chmod(keyfile, 0600), 0);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "# the test's API\napi = http://127.0.0.1:%d/\nkey_file = %s\nretries = 2\n"
		   "backoff_ms = 10\ntimeout = 2\nwindow_hours = 24\n", port, keyfile);
	fclose(f);
	setenv("CAREWATCH_CONFIG", conf, 1);
	unsetenv("CAREWATCH_CQC_KEY_FILE");
	unsetenv("CAREWATCH_CQC_API");
}

static void
api_stop(void)
{
	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
		server = 0;
	}
	unlink(conf);
	unlink(keyfile);
}

/* ---- integration ---- */

static const char *dbname;
static PGconn *owner;
static char dirpath[64];

static int
setup(void **state)
{
	FILE *f;

	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_sync", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_sync_mary", "--as", "manager"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_sync_olly", "--as", "officer"), NULL, 0));
	owner = tl_connect(NULL);
	snprintf(dirpath, sizeof(dirpath), "/tmp/cwt-sync-dir-%d.csv", (int)getpid());
	f = fopen(dirpath, "w");
	assert_non_null(f);
	fputs("Name,Also known as,Address,Postcode,Phone number,Service's website (if available),"
	      "Service types,Date of latest check,Specialisms/services,Provider name,Local authority,"
	      "Region,Location URL,CQC Location ID (for office use only),CQC Provider ID (for office use only)\n"
	      "Ashfield House,,x,NR1 3QU,0,,Residential homes,,,P,Norfolk,East,u,1-101,1-900\n"
	      "Beech Lodge,,x,NR2 3QU,0,,Homecare agencies|Residential homes,,,P,Norfolk,East,u,1-102,1-900\n"
	      "Cedar Court,,x,NR3 3QU,0,,Nursing homes,,,P,Norfolk,East,u,1-103,1-900\n"
	      "Damson View,,x,NR4 3QU,0,,Supported living,,,P,Norfolk,East,u,1-104,1-900\n", f);
	fclose(f);
	free(tl_run_out(TL_ARGV("import", "cqc-directory", dirpath), MANAGER, 0));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	api_stop();
	if (owner)
		PQfinish(owner);
	if (dbname)
		tl_db_drop(dbname);
	unlink(dirpath);
	return 0;
}

static const char stored_sql[] =
	"SELECT (SELECT count(*) FROM cqc_rating) || '/' || (SELECT count(*) FROM cqc_service_rating) || '/'"
	" || (SELECT count(*) FROM provider_loss) || '/' || coalesce((SELECT cursor_at::text FROM cqc_sync_state), '-')"
	" || '/' || (SELECT count(*) FROM import_run)";

static void
test_cqc_sync_two_windows_stored_whole(void **state)
{
	char *out, *err;
	int rc;

	(void)state;
	if (!tl_db_available())
		skip();
	api_start(S_GOOD);
	/* The first sync needs a start. */
	rc = tl_run(TL_ARGV("cqc", "sync"), NULL, &out, &err, MANAGER);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(err, "no sync cursor yet: the first sync needs --from"));
	free(out);
	free(err);
	/* Officers do not sync. */
	rc = tl_run(TL_ARGV("cqc", "sync", "--from", "2024-06-01"), NULL, &out, &err, "PGUSER=cwt_sync_olly");
	assert_int_equal(rc, 4);
	free(out);
	free(err);
	rc = tl_run(TL_ARGV("cqc", "sync", "--from", "2024-06-01", "--until", "2024-06-03", "--format", "csv"),
		    NULL, &out, &err, MANAGER);
	if (rc != 0)
		fail_msg("exit %d: %s", rc, err);
	assert_string_equal(out, "outcome,rows\nwindows stored,2\nchanged locations,5\nheld by carewatch,4\n"
				 "not found (404),1\nratings imported,6\nratings unchanged,0\n"
				 "service ratings imported,3\nbeds updated,1\nproviders closed,1\nrequests,9\n"
				 "retries (rate limit or cut connection),2\n");
	assert_null(strstr(out, KEY));
	assert_null(strstr(err, KEY));
	free(out);
	free(err);
	assert_string_equal(tl_query1(owner, "SELECT string_agg(concat_ws('|', p.cqc_location_id, r.domain,"
					     " r.rating, r.published_on, r.framework, r.basis, r.source), E'\\n'"
					     " ORDER BY p.cqc_location_id, r.domain) FROM cqc_rating r"
					     " JOIN provider p ON p.id = r.provider_id"),
			    "1-101|overall|good|2024-05-20|saf|location|import\n"
			    "1-101|safe|requires_improvement|2024-05-20|saf|location|import\n"
			    "1-101|well_led|good|2024-05-20|saf|location|import\n"
			    "1-102|overall|requires_improvement|2024-05-30|saf|services|import\n"
			    "1-102|safe|requires_improvement|2024-05-30|saf|services|import\n"
			    "1-103|overall|outstanding|2024-05-25|saf|location|import");
	assert_string_equal(tl_query1(owner, "SELECT string_agg(concat_ws('|', s.service_group, s.domain,"
					     " s.rating), E'\\n' ORDER BY s.service_group, s.domain)"
					     " FROM cqc_service_rating s"),
			    "Community based adult social care services|overall|good\n"
			    "Community based adult social care services|safe|requires_improvement\n"
			    "Residential social care|overall|requires_improvement");
	assert_string_equal(tl_query1(owner, "SELECT string_agg(concat_ws('|', cqc_location_id, beds, status,"
					     " closed_on), E'\\n' ORDER BY cqc_location_id) FROM provider"),
			    "1-101|31|active\n1-102|active\n1-103|12|closed|2024-06-01\n1-104|active");
	assert_string_equal(tl_query1(owner, "SELECT concat_ws('|', kind, occurred_on, beds_lost)"
					     " FROM provider_loss"), "closure|2024-06-01|12");
	assert_string_equal(tl_query1(owner, "SELECT to_char(cursor_at AT TIME ZONE 'UTC',"
					     " 'YYYY-MM-DD HH24:MI') FROM cqc_sync_state"), "2024-06-03 00:00");
	assert_string_equal(tl_query1(owner, "SELECT string_agg(file_name || ' ' || rows_read || ' '"
					     " || skipped_by_reason::text, E'\\n' ORDER BY file_name) FROM import_run"
					     " WHERE kind = 'cqc_sync'"),
			    "2024-06-01T00:00:00Z/2024-06-02T00:00:00Z 6 {\"changes\": 4, \"not_found\": 0,"
			    " \"unknown_location\": 0}\n"
			    "2024-06-02T00:00:00Z/2024-06-03T00:00:00Z 1 {\"changes\": 1, \"not_found\": 1,"
			    " \"unknown_location\": 0}");
	/* The key is nowhere in the database. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE change::text LIKE '%" KEY "%'"),
			 0);
	/* Nothing new: no window; --from is refused once there is a cursor. */
	out = tl_run_out(TL_ARGV("cqc", "sync", "--until", "2024-06-03", "--format", "csv"), MANAGER, 0);
	assert_non_null(strstr(out, "windows stored,0\n"));
	free(out);
	free(tl_run_out(TL_ARGV("cqc", "sync", "--from", "2024-06-01"), MANAGER, 2));
	api_stop();
}

/* Run a sync of the window after the cursor against scenario sc: exit
 * want, one error naming the endpoint, nothing stored. */
static void
failing(enum scenario sc, int want, const char *msg)
{
	char before[256], *out, *err, expect[512];
	int rc;

	api_start(sc);
	snprintf(before, sizeof(before), "%s", tl_query1(owner, stored_sql));
	rc = tl_run(TL_ARGV("cqc", "sync", "--until", "2024-06-04"), NULL, &out, &err, MANAGER);
	if (rc != want)
		fail_msg("exit %d (want %d): %s", rc, want, err);
	snprintf(expect, sizeof(expect), msg, port);
	if (strstr(err, expect) == NULL)
		fail_msg("stderr '%s' lacks '%s'", err, expect);
	assert_null(strstr(err, KEY));
	assert_string_equal(out, "");
	free(out);
	free(err);
	assert_string_equal(tl_query1(owner, stored_sql), before);
	api_stop();
}

static void
test_cqc_sync_failures_store_nothing(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	failing(S_MALFORMED, 3, "carewatch: error: a malformed answer from the CQC API at"
				" http://127.0.0.1:%d/locations/1-101: not JSON");
	failing(S_CUT, 3, "carewatch: error: the CQC API at http://127.0.0.1:%d/changes/location?startTimestamp="
			  "2024-06-03T00:00:00Z&endTimestamp=2024-06-04T00:00:00Z&page=1&perPage=1000 still cuts"
			  " the connection after 2 retries");
	failing(S_REFUSED, 4, "carewatch: error: the CQC API refused the subscription key (HTTP 401) at"
			      " http://127.0.0.1:%d/changes/location?");
	failing(S_SILENT, 3, "carewatch: error: no answer within the timeout from the CQC API at"
			     " http://127.0.0.1:%d/changes/location?");
}

static void
test_cqc_sync_key_file_rules(void **state)
{
	char *out, *err;
	int rc;

	(void)state;
	if (!tl_db_available())
		skip();
	api_start(S_GOOD);
	/* A key file others may read is refused, naming the file, not the key. */
	assert_int_equal(chmod(keyfile, 0644), 0);
	rc = tl_run(TL_ARGV("cqc", "sync"), NULL, &out, &err, MANAGER);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(err, "may be read by others"));
	assert_non_null(strstr(err, keyfile));
	assert_null(strstr(err, KEY));
	free(out);
	free(err);
	/* No key anywhere. */
	unsetenv("CAREWATCH_CONFIG");
	setenv("HOME", "/nonexistent", 1);
	rc = tl_run(TL_ARGV("cqc", "sync"), NULL, &out, &err, MANAGER);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(err, "no CQC API key: name its file in CAREWATCH_CQC_KEY_FILE"));
	free(out);
	free(err);
	api_stop();
}

int
main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_cqc_sync_changes_pages_and_soft_429),
		cmocka_unit_test(test_cqc_sync_location_newest_publication_wins),
	};
	const struct CMUnitTest db[] = {
		cmocka_unit_test(test_cqc_sync_two_windows_stored_whole),
		cmocka_unit_test(test_cqc_sync_failures_store_nothing),
		cmocka_unit_test(test_cqc_sync_key_file_rules),
	};
	int rc = cmocka_run_group_tests(unit, NULL, NULL);

	signal(SIGPIPE, SIG_IGN);
	return rc | cmocka_run_group_tests(db, setup, teardown);
}
