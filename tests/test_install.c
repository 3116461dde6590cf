/*
 * test_install.c - `make install` and `make uninstall` into a temporary
 * DESTDIR, `man` finding the installed page, and the installed bash
 * completion script answering as the command table says.  No database
 * needed.
 *
 * The group setup installs the sanitised build/test/carewatch (BIN=...), so
 * the test does not build the optimised binary.  The completion tests run
 * the script in a plain `bash --norc`, setting COMP_WORDS and COMP_CWORD as
 * bash does at a Tab, and read COMPREPLY; expected answers come from the
 * command table and the vocabularies, linked into this program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "carewatch/cmd.h"
#include "carewatch/vocab.h"
#include "testlib.h"

static char dir[] = "/tmp/cw-install-XXXXXX";
static char script[200], man1[300], bin[200], mandir[200];

static const char *
top(void)
{
	const char *t = getenv("CW_TOP");

	return t ? t : tl_path("..");
}

/* Run cmd with /bin/sh; *out gets stdout and stderr (caller frees).
 * Returns the exit status, -1 when it could not run. */
static int
sh(const char *cmd, char **out)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap);
	int st;

	if (p == NULL || buf == NULL) {
		if (p)
			pclose(p);
		free(buf);
		*out = NULL;
		return -1;
	}
	for (;;) {
		size_t got;
		if (n + 1024 > cap) {
			char *nb = realloc(buf, cap *= 2);
			if (nb == NULL)
				break;
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, p);
		if (got == 0)
			break;
		n += got;
	}
	buf[n] = '\0';
	*out = buf;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *
read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

/* make TARGET in the checkout, into our DESTDIR; the make running the
 * tests (make check) must not lend us its jobserver or flags. */
static int
make(const char *target, char **out)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd),
		 "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C '%s' %s"
		 " DESTDIR='%s' PREFIX=/usr BIN=build/test/carewatch 2>&1",
		 top(), target, dir);
	return sh(cmd, out);
}

static int
setup(void **state)
{
	char *out;
	int rc;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(bin, sizeof(bin), "%s/usr/bin/carewatch", dir);
	snprintf(mandir, sizeof(mandir), "%s/usr/share/man", dir);
	snprintf(man1, sizeof(man1), "%s/man1/carewatch.1", mandir);
	snprintf(script, sizeof(script), "%s/usr/share/bash-completion/completions/carewatch", dir);
	rc = make("install", &out);
	if (rc != 0)
		fprintf(stderr, "make install failed (exit %d):\n%s\n", rc, out ? out : "");
	free(out);
	return rc == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* What the installed script completes for the words (the last is the one
 * under the cursor), one candidate a line.  Caller frees. */
static char *
complete(const char *const words[])
{
	char cmd[2000];
	size_t len;
	char *out;
	int rc;

	len = (size_t)snprintf(cmd, sizeof(cmd),
			       "bash --norc --noprofile -c 'source \"$0\"; COMP_WORDS=(\"$@\");"
			       " COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _carewatch;"
			       " [ ${#COMPREPLY[@]} -eq 0 ] || printf \"%%s\\n\" \"${COMPREPLY[@]}\"' '%s'",
			       script);
	for (int i = 0; words[i]; i++) {
		assert_null(strchr(words[i], '\''));
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " '%s'", words[i]);
		assert_true(len < sizeof(cmd));
	}
	rc = sh(cmd, &out);
	if (rc != 0)
		fail_msg("bash exit %d completing: %s\n%s", rc, cmd, out ? out : "");
	return out;
}

#define COMPLETE(...) complete(TL_ARGV("carewatch", __VA_ARGS__))

static const struct cw_cmd *
command(const char *name)
{
	for (int i = 0; cw_commands[i]; i++)
		if (strcmp(cw_commands[i]->name, name) == 0)
			return cw_commands[i];
	fail_msg("no command '%s' in the table", name);
	return NULL;
}

/* The words of vocabulary v starting with prefix, one a line, sorted as
 * the script gives them. */
static void
vocab_lines(const struct cw_vocab *v, const char *prefix, char *buf, size_t size)
{
	const char *w[64];
	int n = 0;
	size_t len = 0;

	for (int i = 0; i < v->n && n < 64; i++)
		if (strncmp(v->words[i], prefix, strlen(prefix)) == 0)
			w[n++] = v->words[i];
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && strcmp(w[j - 1], w[j]) > 0; j--) {
			const char *t = w[j];
			w[j] = w[j - 1];
			w[j - 1] = t;
		}
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s\n", w[i]);
}

static void
test_install_puts_binary_page_and_script_under_destdir(void **state)
{
	struct stat st;
	char *page, *shipped, *out, *want;

	(void)state;
	assert_int_equal(stat(bin, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	assert_int_equal(stat(man1, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(stat(script, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);

	/* The installed binary is carewatch. */
	want = tl_run_out(TL_ARGV("version"), NULL, 0);
	{
		char cmd[500];
		snprintf(cmd, sizeof(cmd), "'%s' version", bin);
		assert_int_equal(sh(cmd, &out), 0);
	}
	assert_string_equal(out, want);
	free(out);
	free(want);

	/* The page is the committed one; the script is what the binary prints. */
	page = read_all(man1);
	shipped = read_all(tl_path("../docs/carewatch.1"));
	assert_non_null(page);
	assert_non_null(shipped);
	assert_string_equal(page, shipped);
	free(page);
	free(shipped);
	page = read_all(script);
	assert_non_null(page);
	want = tl_run_out(TL_ARGV("help", "--bash-completion"), NULL, 0);
	assert_string_equal(page, want);
	assert_non_null(strstr(page, "\ncomplete -F _carewatch carewatch\n"));
	free(page);
	free(want);
}

static void
test_install_man_finds_the_page(void **state)
{
	char cmd[1000], want[500], errfile[300], *out, *err;
	int rc;

	(void)state;
	/* stderr apart: man may warn about the locale, which is no failure. */
	snprintf(errfile, sizeof(errfile), "%s/man.err", dir);
	snprintf(cmd, sizeof(cmd), "man -M '%s' -w carewatch 2>'%s'", mandir, errfile);
	rc = sh(cmd, &out);
	snprintf(want, sizeof(want), "%s\n", man1);
	err = read_all(errfile);
	if (rc != 0 || strcmp(out, want) != 0)
		fail_msg("%s: exit %d\nstdout: %s\nstderr: %s", cmd, rc, out, err ? err : "");
	free(out);
	free(err);
	/* And renders it: the first command of the table is in the page. */
	snprintf(cmd, sizeof(cmd), "MANPAGER=cat MANWIDTH=100 man -M '%s' carewatch 2>&1", mandir);
	assert_int_equal(sh(cmd, &out), 0);
	assert_non_null(strstr(out, "CAREWATCH(1)"));
	if (strstr(out, cw_commands[0]->name) == NULL)
		fail_msg("'%s' is not in the rendered page:\n%.2000s", cw_commands[0]->name, out);
	free(out);
}

static void
test_install_completes_command_words(void **state)
{
	char *out;
	const struct cw_cmd *close_cmd = command("case close");

	(void)state;
	assert_non_null(close_cmd);
	out = COMPLETE("prov");
	assert_string_equal(out, "provider\n");
	free(out);
	out = COMPLETE("case", "cl");
	assert_string_equal(out, "close\n");
	free(out);
	/* Three-word commands: db role add. */
	assert_non_null(command("db role add"));
	out = COMPLETE("db", "role", "");
	assert_string_equal(out, "add\n");
	free(out);
	/* help takes command words too, after global options. */
	out = COMPLETE("--no-pager", "help", "case", "reo");
	assert_string_equal(out, "reopen\n");
	free(out);
	/* Every first word of the table, and no others. */
	out = COMPLETE("");
	for (int i = 0; cw_commands[i]; i++) {
		char w[64];
		snprintf(w, sizeof(w), "\n%.*s\n", (int)strcspn(cw_commands[i]->name, " "),
			 cw_commands[i]->name);
		if (strstr(out, w) == NULL && strncmp(out, w + 1, strlen(w + 1)) != 0)
			fail_msg("first word of '%s' not offered:\n%s", cw_commands[i]->name, out);
	}
	free(out);
	out = COMPLETE("frobnicate", "");
	assert_string_equal(out, "");
	free(out);
}

static void
test_install_completes_options_where_valid(void **state)
{
	const struct cw_cmd *c = command("concern add");
	char want[200] = "";
	char *out;
	int n = cw_cmd_nopts(c);

	(void)state;
	for (int i = 0; i < n; i++)
		if (strncmp(cw_cmd_opt(c, i).name, "ri", 2) == 0)
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "--%s\n",
				 cw_cmd_opt(c, i).name);
	assert_string_equal(want, "--risk\n");
	out = COMPLETE("concern", "add", "--ri");
	assert_string_equal(out, want);
	free(out);
	/* --format only where the command takes it. */
	assert_true(command("case list")->flags & CW_CMD_FORMAT);
	out = COMPLETE("case", "list", "--fo");
	assert_string_equal(out, "--format\n");
	free(out);
	assert_false(command("case close")->flags & CW_CMD_FORMAT);
	out = COMPLETE("case", "close", "7", "--fo");
	assert_string_equal(out, "");
	free(out);
	/* --db and --help everywhere; --no-pager before the command. */
	out = COMPLETE("case", "close", "--");
	assert_non_null(strstr(out, "--db\n"));
	assert_non_null(strstr(out, "--help\n"));
	assert_non_null(strstr(out, "--note\n"));
	free(out);
	out = COMPLETE("--no");
	assert_string_equal(out, "--no-pager\n");
	free(out);
	/* After an option's value, options again. */
	out = COMPLETE("concern", "add", "P", "--risk", "high", "--sou");
	assert_string_equal(out, "--source\n");
	free(out);
}

static void
test_install_completes_vocabulary_values(void **state)
{
	char want[500], *out;

	(void)state;
	vocab_lines(&cw_vocab_risk, "h", want, sizeof(want));
	assert_string_equal(want, "high\n");
	out = COMPLETE("concern", "add", "P", "--risk", "h");
	assert_string_equal(out, want);
	free(out);
	/* --risk=h as bash splits it at '=', and --risk= with nothing yet. */
	out = COMPLETE("concern", "add", "P", "--risk", "=", "h");
	assert_string_equal(out, want);
	free(out);
	vocab_lines(&cw_vocab_risk, "", want, sizeof(want));
	out = COMPLETE("concern", "add", "P", "--risk", "=");
	assert_string_equal(out, want);
	free(out);
	/* Whole, when COMP_WORDBREAKS has no '='. */
	out = COMPLETE("concern", "add", "P", "--risk=v");
	assert_string_equal(out, "--risk=very_high\n");
	free(out);
	vocab_lines(&cw_vocab_concern_source, "", want, sizeof(want));
	out = COMPLETE("concern", "add", "P", "--source", "");
	assert_string_equal(out, want);
	free(out);
	/* The global --format takes html; a command's --format says which. */
	out = COMPLETE("--format", "h");
	assert_string_equal(out, "html\n");
	free(out);
	out = COMPLETE("case", "list", "--format", "");
	assert_string_equal(out, (command("case list")->flags & CW_CMD_HTML) ? "csv\nhtml\njson\ntable\n"
									    : "csv\njson\ntable\n");
	free(out);
	/* A value with no words to offer offers nothing, not options. */
	out = COMPLETE("concern", "add", "P", "--note", "");
	assert_string_equal(out, "");
	free(out);
}

static void
test_install_uninstall_removes_what_was_installed(void **state)
{
	struct stat st;
	char *out;
	int rc;

	(void)state;
	rc = make("uninstall", &out);
	if (rc != 0)
		fail_msg("make uninstall: exit %d\n%s", rc, out);
	free(out);
	assert_int_not_equal(stat(bin, &st), 0);
	assert_int_not_equal(stat(man1, &st), 0);
	assert_int_not_equal(stat(script, &st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_puts_binary_page_and_script_under_destdir),
		cmocka_unit_test(test_install_man_finds_the_page),
		cmocka_unit_test(test_install_completes_command_words),
		cmocka_unit_test(test_install_completes_options_where_valid),
		cmocka_unit_test(test_install_completes_vocabulary_values),
		/* Last: it removes the files the others read. */
		cmocka_unit_test(test_install_uninstall_removes_what_was_installed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
