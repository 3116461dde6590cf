/*
 * cqc_http.c - fetching from the CQC API with libcurl (see cqc_api.h): the
 * configuration and subscription key, and GET with retries.
 *
 * The key comes from a file (named in the environment or the config file),
 * never from the command line, so it is in no process listing, shell
 * history, log or audit row; it is sent only as the Ocp-Apim-Subscription-Key
 * header and no message here ever includes it.  Rate limiting (HTTP 429, or
 * a 200 whose body says statusCode 429) and a connection cut mid-answer are
 * retried with doubling waits (Retry-After when CQC gives one) up to a limit;
 * a refused key (401/403) or a server that never answers fails at once.
 *
 * No database.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "carewatch/lazylib.h" /* libcurl, libjansson, libxml2, libzip */
#include "carewatch/cqc_api.h"

#define BODY_MAX ((size_t)64 << 20)
#define RETRY_AFTER_MAX 120

static void
trim(char *s)
{
	size_t n = strlen(s), k = 0;

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	while (s[k] == ' ' || s[k] == '\t')
		k++;
	memmove(s, s + k, n - k + 1);
}

/* The key file's one line into c->key. */
static bool
read_key(struct cw_cqc_config *c, const char *path, struct cw_error *err)
{
	struct stat st;
	FILE *f = fopen(path, "r");
	char line[512];

	if (f == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "cannot read the CQC API key file '%.200s': %s", path,
				    strerror(errno));
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
		fclose(f);
		cw_error_set(err, CW_EXIT_FAIL, "the CQC API key file '%.200s' may be read by others", path);
		cw_error_hint(err, "chmod 600 '%.200s'", path);
		return false;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	trim(line);
	if (line[0] == '\0' || strlen(line) >= sizeof(c->key) || strpbrk(line, " \t\r\n") != NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "the CQC API key file '%.200s' holds no key (one line)",
				    path);
	memcpy(c->key, line, strlen(line) + 1);   /* shorter than c->key: checked above */
	return true;
}

static bool
config_file(struct cw_cqc_config *c, char *key_file, size_t kf_size, struct cw_error *err)
{
	const char *env = getenv("CAREWATCH_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char path[1024], line[1024];
	FILE *f;
	int n = 0;

	if (env && *env)
		snprintf(path, sizeof(path), "%s", env);
	else if (xdg && *xdg)
		snprintf(path, sizeof(path), "%s/carewatch/cqc.conf", xdg);
	else if (home && *home)
		snprintf(path, sizeof(path), "%s/.config/carewatch/cqc.conf", home);
	else
		return true;
	f = fopen(path, "r");
	if (f == NULL) {
		if (env && *env)
			return cw_error_set(err, CW_EXIT_FAIL, "cannot read the config file '%.200s': %s", path,
					    strerror(errno));
		return true;
	}
	while (fgets(line, sizeof(line), f)) {
		char *eq, *name = line, *value;
		n++;
		trim(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		if (eq == NULL) {
			fclose(f);
			return cw_error_set(err, CW_EXIT_USAGE, "%.200s:%d: expected name = value", path, n);
		}
		*eq = '\0';
		value = eq + 1;
		trim(name);
		trim(value);
		if (strcmp(name, "api") == 0)
			snprintf(c->api, sizeof(c->api), "%s", value);
		else if (strcmp(name, "key_file") == 0)
			snprintf(key_file, kf_size, "%s", value);
		else if (strcmp(name, "user_agent") == 0)
			snprintf(c->user_agent, sizeof(c->user_agent), "%s", value);
		else if (strcmp(name, "timeout") == 0 && atol(value) > 0)
			c->timeout = atol(value);
		else if (strcmp(name, "retries") == 0 && atoi(value) >= 0)
			c->retries = atoi(value);
		else if (strcmp(name, "backoff_ms") == 0 && atol(value) >= 0)
			c->backoff_ms = atol(value);
		else if (strcmp(name, "window_hours") == 0 && atoi(value) > 0 && atoi(value) <= 24 * 31)
			c->window_hours = atoi(value);
		else {
			fclose(f);
			return cw_error_set(err, CW_EXIT_USAGE, "%.200s:%d: unknown or invalid setting '%.40s'",
					    path, n, name);
		}
	}
	fclose(f);
	return true;
}

bool
cw_cqc_config_load(struct cw_cqc_config *c, struct cw_error *err)
{
	const char *kf = getenv("CAREWATCH_CQC_KEY_FILE"), *api = getenv("CAREWATCH_CQC_API");
	char key_file[1024] = "";
	size_t n;

	memset(c, 0, sizeof(*c));
	snprintf(c->api, sizeof(c->api), "https://api.service.cqc.org.uk/public/v1");
	snprintf(c->user_agent, sizeof(c->user_agent), "carewatch (council quality assurance)");
	c->timeout = 60;
	c->retries = 5;
	c->backoff_ms = 1000;
	c->window_hours = 24;
	if (!config_file(c, key_file, sizeof(key_file), err))
		return false;
	if (kf && *kf)
		snprintf(key_file, sizeof(key_file), "%s", kf);
	if (api && *api)
		snprintf(c->api, sizeof(c->api), "%s", api);
	n = strlen(c->api);
	while (n > 0 && c->api[n - 1] == '/')
		c->api[--n] = '\0';
	if (key_file[0] == '\0') {
		cw_error_set(err, CW_EXIT_USAGE, "no CQC API key: name its file in CAREWATCH_CQC_KEY_FILE or as"
			     " key_file in the config file");
		cw_error_hint(err, "see docs/import.md, 'The CQC API'");
		return false;
	}
	return read_key(c, key_file, err);
}

struct buf {
	char *p;
	size_t n;
	bool too_big;
};

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	char *p;

	if (b->n + n > BODY_MAX) {
		b->too_big = true;
		return 0;
	}
	p = realloc(b->p, b->n + n + 1);
	if (p == NULL)
		return 0;
	memcpy(p + b->n, data, n);
	b->p = p;
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

static long retry_after;

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	size_t n = size * nmemb;

	(void)arg;
	if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0)
		retry_after = atol(data + 12);
	return n;
}

static void
nap(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

/* Is this 200 body a soft 429?  A cheap look before any parse. */
static bool
looks_soft_429(const char *p, size_t n)
{
	const char *s = NULL;

	for (size_t i = 0; p && i + 12 <= n && i < 256 && s == NULL; i++)
		if (memcmp(p + i, "\"statusCode\"", 12) == 0)
			s = p + i;
	if (s == NULL)
		return false;
	s += 12;
	while (*s == ' ' || *s == ':')
		s++;
	return strncmp(s, "429", 3) == 0;
}

bool
cw_cqc_get(const struct cw_cqc_config *c, const char *path, char **body, size_t *len, long *status,
	   struct cw_cqc_stats *st, struct cw_error *err)
{
	static bool started;
	char url[2048], key[300], why[CURL_ERROR_SIZE];
	struct curl_slist *h = NULL;
	long wait = c->backoff_ms;
	CURL *k;

	*body = NULL;
	*len = 0;
	*status = 0;
	if (!started) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		started = true;
	}
	snprintf(url, sizeof(url), "%s%s", c->api, path);
	snprintf(key, sizeof(key), "Ocp-Apim-Subscription-Key: %s", c->key);
	k = curl_easy_init();
	h = curl_slist_append(h, key);
	h = h ? curl_slist_append(h, "Accept: application/json") : NULL;
	if (k == NULL || h == NULL) {
		curl_slist_free_all(h);
		curl_easy_cleanup(k);
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	curl_easy_setopt(k, CURLOPT_URL, url);
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(k, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(k, CURLOPT_TIMEOUT, c->timeout);
	curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT, c->timeout < 10 ? c->timeout : 10L);
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k, CURLOPT_ERRORBUFFER, why);
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(k, CURLOPT_ACCEPT_ENCODING, "");
	for (int attempt = 0;; attempt++) {
		struct buf b = {NULL, 0, false};
		CURLcode rc;
		bool again;

		why[0] = '\0';
		retry_after = -1;
		curl_easy_setopt(k, CURLOPT_WRITEDATA, &b);
		rc = curl_easy_perform(k);
		st->requests++;
		*status = 0;
		curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, status);
		if (rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_CONNECT ||
		    rc == CURLE_COULDNT_RESOLVE_HOST) {
			free(b.p);
			cw_error_set(err, CW_EXIT_UNAVAILABLE, "%s from the CQC API at %s",
				     rc == CURLE_OPERATION_TIMEDOUT ? "no answer within the timeout"
				     : "cannot connect", url);
			cw_error_detail(err, "%s", why[0] ? why : curl_easy_strerror(rc));
			break;
		}
		/* Rate limited (429, or politely in a 200's body), or cut off
		 * mid-answer: worth another try. */
		again = (rc == CURLE_OK && *status == 200 && looks_soft_429(b.p, b.n)) ||
			(rc == CURLE_OK && *status == 429) || rc == CURLE_PARTIAL_FILE ||
			rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR;
		if (again && attempt < c->retries) {
			long ms = retry_after >= 0 ? (retry_after > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : retry_after) * 1000
						   : wait;
			free(b.p);
			st->retries++;
			nap(ms);
			wait *= 2;
			continue;
		}
		if (again) {
			free(b.p);
			cw_error_set(err, CW_EXIT_UNAVAILABLE, "the CQC API at %s still %s after %d retries", url,
				     rc != CURLE_OK ? "cuts the connection" : "limits the rate", c->retries);
			break;
		}
		if (rc != CURLE_OK) {
			free(b.p);
			cw_error_set(err, CW_EXIT_UNAVAILABLE, "%s from the CQC API at %s",
				     b.too_big ? "an answer too large" : "a failed request", url);
			cw_error_detail(err, "%s", why[0] ? why : curl_easy_strerror(rc));
			break;
		}
		if (*status == 401 || *status == 403) {
			free(b.p);
			cw_error_set(err, CW_EXIT_DENIED, "the CQC API refused the subscription key (HTTP %ld) at %s",
				     *status, url);
			cw_error_hint(err, "check the key in the key file, or ask CQC for a new one (docs/import.md)");
			break;
		}
		if (*status == 404) {
			st->not_found++;
			free(b.p);
			curl_slist_free_all(h);
			curl_easy_cleanup(k);
			return true;
		}
		if (*status != 200) {
			free(b.p);
			cw_error_set(err, CW_EXIT_UNAVAILABLE, "HTTP %ld from the CQC API at %s", *status, url);
			break;
		}
		*body = b.p ? b.p : strdup("");
		*len = b.n;
		curl_slist_free_all(h);
		curl_easy_cleanup(k);
		return *body != NULL || cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(k);
	return false;
}
