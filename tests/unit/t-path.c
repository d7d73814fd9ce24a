/* t-path.c: which paths a plan may write; protected paths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "path.h"
#include "tap.h"

/* Check path: "ok", or "code: message". */
static void
chk(const char *path, const char *want, const char *name)
{
	struct aas_err e;
	char buf[1200];

	memset(&e, 0, sizeof(e));
	if (aas_path_check(path, &e) == 0)
		snprintf(buf, sizeof(buf), "ok");
	else
		snprintf(buf, sizeof(buf), "%s: %s", e.code, e.msg);
	is_str(buf, want, name);
}

/* Guard check of path with the task's Files (JSON text, or NULL). */
static void
grd(const struct aas_path_guard *g, const char *files, const char *path,
    const char *want, const char *name)
{
	json_t *f = files != NULL ? json_loads(files, JSON_DECODE_ANY, NULL) :
	    NULL;
	struct aas_err e;
	char buf[1200];

	memset(&e, 0, sizeof(e));
	if (aas_path_guard_check(g, f, path, &e) == 0)
		snprintf(buf, sizeof(buf), "ok");
	else
		snprintf(buf, sizeof(buf), "%s: %s", e.code, e.msg);
	is_str(buf, want, name);
	json_decref(f);
}

static void
guard_new(const char *list, const char *want, const char *name)
{
	json_t *l = json_loads(list, JSON_DECODE_ANY, NULL);
	struct aas_path_guard *g;
	struct aas_err e;
	char buf[1200];

	memset(&e, 0, sizeof(e));
	if (aas_path_guard_new(l, &g, &e) == 0)
		snprintf(buf, sizeof(buf), "ok");
	else
		snprintf(buf, sizeof(buf), "%s: %s", e.code, e.msg);
	is_str(buf, want, name);
	aas_path_guard_free(g);
	json_decref(l);
}

int
main(void)
{
	struct aas_path_guard *g;
	struct aas_err e;
	char *q, *longc, *longp;
	json_t *fields;

	aas_setprogname("t-path");

	/* what was refused before stays refused, with the same words */
	chk("src/main.c", "ok", "plain path");
	chk("lib/.gitignore", "ok", ".gitignore");
	chk("docs/caf\xc3\xa9.md", "ok", "accented letters");
	chk("docs/a\xc3\xa7\xc4\xb1klama.md", "ok", "dotless i in a word");
	chk("x/\xef\xbd\x87it.txt", "ok", "a fullwidth letter in a name");
	chk("notes/a b.txt", "ok", "an ASCII space");
	chk("", "path_escape: empty path", "empty");
	chk("/etc/passwd", "path_escape: refusing path '/etc/passwd': "
	    "absolute", "absolute");
	chk("a\\b", "path_escape: refusing path 'a\\b': backslash",
	    "backslash");
	chk("a/../../x", "path_escape: refusing path 'a/../../x': outside "
	    "the repository", "dot-dot");
	chk("a//b", "path_escape: refusing path 'a//b': outside the "
	    "repository", "empty component");
	chk(".GiT/config", "path_git: refusing path '.GiT/config': inside "
	    ".git", ".git in any case");

	/* what HFS+ reads as .git: it ignores these code points */
	chk(".g\xe2\x80\x8cit/config", "path_git: refusing path "
	    "'.g\\u200cit/config': HFS+ reads it as .git (it ignores U+200C)",
	    "HFS+: zero width non-joiner");
	chk(".git\xef\xbb\xbf/hooks/x", "path_git: refusing path "
	    "'.git\\ufeff/hooks/x': HFS+ reads it as .git (it ignores "
	    "U+FEFF)", "HFS+: byte order mark");
	chk("a/\xe2\x80\xae.GIT/config", "path_git: refusing path "
	    "'a/\\u202e.GIT/config': HFS+ reads it as .git (it ignores "
	    "U+202E)", "HFS+: right-to-left override, any component");

	/* what NTFS reads as .git */
	chk(".git./config", "path_git: refusing path '.git./config': NTFS "
	    "reads it as .git (it drops trailing dots and spaces and a "
	    ":stream)", "NTFS: trailing dot");
	chk(".git . /config", "path_git: refusing path '.git . /config': "
	    "NTFS reads it as .git (it drops trailing dots and spaces and a "
	    ":stream)", "NTFS: trailing dots and spaces");
	chk(".git::$INDEX_ALLOCATION/config", "path_git: refusing path "
	    "'.git::$INDEX_ALLOCATION/config': NTFS reads it as .git (it "
	    "drops trailing dots and spaces and a :stream)",
	    "NTFS: index allocation stream");
	chk("GIT~1/config", "path_git: refusing path 'GIT~1/config': NTFS "
	    "reads it as .git (its short name GIT~1)", "NTFS: short name");
	chk("git~1./hooks", "path_git: refusing path 'git~1./hooks': NTFS "
	    "reads it as .git (its short name GIT~1)",
	    "NTFS: short name, trailing dot");

	/* lookalikes: no file system takes them for .git, a reviewer may */
	chk(".git\xe2\x80\x8b/config", "path_git: refusing path "
	    "'.git\\u200b/config': looks like .git", "zero width space");
	chk(".git\xc2\xa0/config", "path_git: refusing path "
	    "'.git\\u00a0/config': looks like .git", "no-break space");
	chk(".\xef\xbd\x87\xef\xbd\x89\xef\xbd\x94/config", "path_git: "
	    "refusing path '.\xef\xbd\x87\xef\xbd\x89\xef\xbd\x94/config': "
	    "looks like .git", "fullwidth letters");
	chk(".g\xc4\xb1t/config", "path_git: refusing path "
	    "'.g\xc4\xb1t/config': looks like .git", "dotless i");
	chk(".G\xc4\xb0T/config", "path_git: refusing path "
	    "'.G\xc4\xb0T/config': looks like .git", "dotted capital I");
	chk(".g\xd1\x96t", "path_git: refusing path '.g\xd1\x96t': looks "
	    "like .git", "Cyrillic i");

	/* control, bidirectional and invisible characters, anywhere */
	chk("a\nb.c", "path_control: refusing path 'a\\u000ab.c': a control "
	    "character (U+000A)", "newline");
	chk("x\x1b[31m.c", "path_control: refusing path 'x\\u001b[31m.c': a "
	    "control character (U+001B)", "escape");
	chk("x\x7f", "path_control: refusing path 'x\\u007f': a control "
	    "character (U+007F)", "delete");
	chk("src/x\xc2\x85y.c", "path_control: refusing path "
	    "'src/x\\u0085y.c': a control character (U+0085)",
	    "next line (U+0085)");
	chk("a\xe2\x80\xa8" "b", "path_control: refusing path "
	    "'a\\u2028b': a control character (U+2028)", "line separator");
	chk("a\xe2\x80\xa9" "b", "path_control: refusing path "
	    "'a\\u2029b': a control character (U+2029)",
	    "paragraph separator");
	chk("src/evil\xe2\x80\xaetxt.exe", "path_bidi: refusing path "
	    "'src/evil\\u202etxt.exe': a bidirectional formatting character "
	    "(U+202E)", "right-to-left override");
	chk("a\xe2\x80\xaa" "b", "path_bidi: refusing path 'a\\u202ab': a "
	    "bidirectional formatting character (U+202A)",
	    "left-to-right embedding");
	chk("a\xe2\x81\xa6" "b", "path_bidi: refusing path 'a\\u2066b': a "
	    "bidirectional formatting character (U+2066)",
	    "left-to-right isolate");
	chk("a\xe2\x81\xa9" "b", "path_bidi: refusing path 'a\\u2069b': a "
	    "bidirectional formatting character (U+2069)",
	    "pop directional isolate");
	chk("a\xd8\x9c" "b", "path_bidi: refusing path 'a\\u061cb': a "
	    "bidirectional formatting character (U+061C)", "Arabic letter mark");
	chk("ma\xe2\x80\x8bin.c", "path_invisible: refusing path "
	    "'ma\\u200bin.c': an invisible character (U+200B)",
	    "zero width space");
	chk("x\xc2\xa0y", "path_invisible: refusing path 'x\\u00a0y': an "
	    "invisible character (U+00A0)", "no-break space");
	chk("x\xe3\x80\x80y", "path_invisible: refusing path 'x\\u3000y': "
	    "an invisible character (U+3000)", "ideographic space");
	chk("x\xf3\xa0\x80\x81y", "path_invisible: refusing path "
	    "'x\\U000e0001y': an invisible character (U+E0001)", "a tag");
	chk("a\xe2\x80\x8d" "b", "path_invisible: refusing path "
	    "'a\\u200db': an invisible character (U+200D)",
	    "zero width joiner (HFS+ ignores it: not .git)");

	/* not UTF-8 */
	chk("a\xff" "b", "path_encoding: refusing path 'a\\xffb': not UTF-8",
	    "a stray byte");
	chk("a\xc0\xaf", "path_encoding: refusing path 'a\\xc0\\xaf': not "
	    "UTF-8", "an overlong slash");
	chk("a\xed\xa0\x80", "path_encoding: refusing path "
	    "'a\\xed\\xa0\\x80': not UTF-8", "a surrogate");
	chk("a\xe2\x80", "path_encoding: refusing path 'a\\xe2\\x80': not "
	    "UTF-8", "cut short");

	/* NTFS short names and names NTFS empties */
	chk("GITHUB~1/WORKFL~1/ci.yml", "path_ntfs: refusing path "
	    "'GITHUB~1/WORKFL~1/ci.yml': 'GITHUB~1' is an NTFS short name, "
	    "which can stand for another file", "short name of .github");
	chk("GITMOD~1", "path_ntfs: refusing path 'GITMOD~1': 'GITMOD~1' is "
	    "an NTFS short name, which can stand for another file",
	    "short name of .gitmodules");
	chk("src/GITLAB~1.YML", "path_ntfs: refusing path 'src/GITLAB~1.YML': "
	    "'GITLAB~1.YML' is an NTFS short name, which can stand for "
	    "another file", "short name with an extension");
	chk("a/...", "path_ntfs: refusing path 'a/...': NTFS reads '...' as "
	    "an empty name", "three dots");
	chk("a/. ./b", "path_ntfs: refusing path 'a/. ./b': NTFS reads '. .' "
	    "as an empty name", "dot space dot");
	chk("notes~1", "path_ntfs: refusing path 'notes~1': 'notes~1' is an "
	    "NTFS short name, which can stand for another file",
	    "lowercase short name");
	chk("file.txt~", "ok", "an editor backup");
	chk("x~1.html5", "ok", "long extension: not a short name");
	chk("toolongname~1", "ok", "long first part: not a short name");
	chk("~1", "ok", "nothing before the tilde");
	chk("a.b~1.c", "ok", "two dots: not a short name");
	chk("v1.2:3", "ok", "a colon in a name that is not .git");

	/* lengths */
	longc = malloc(301);
	memset(longc, 'a', 300);
	longc[300] = '\0';
	longp = aas_xasprintf("src/%s.c", longc);
	q = aas_path_quote(longp);
	is_int(strlen(q), 203, "a long path quoted: cut at 200 bytes");
	ok(strcmp(q + 200, "...") == 0, "a long path quoted: ends in ...");
	{
		char want[1200];

		snprintf(want, sizeof(want), "path_too_long: refusing path "
		    "'%s': a component of 302 bytes, over 255", q);
		chk(longp, want, "a 302-byte component");
	}
	free(q);
	free(longp);
	longc[255] = '\0';
	chk(longc, "ok", "a 255-byte component");
	free(longc);
	longp = malloc(4097);
	memset(longp, 'b', 4096);
	longp[4096] = '\0';
	for (int i = 100; i < 4096; i += 101)
		longp[i] = '/';
	q = aas_path_quote(longp);
	{
		char want[1200];

		snprintf(want, sizeof(want), "path_too_long: refusing path "
		    "'%s': 4096 bytes, over 4095", q);
		chk(longp, want, "a 4096-byte path");
	}
	free(q);
	longp[4095] = '\0';
	chk(longp, "ok", "a 4095-byte path");
	free(longp);

	/* protected paths: the default list */
	ok(aas_path_guard_new(NULL, &g, &e) == 0, "default guard");
	grd(g, NULL, "src/main.c", "ok", "not protected");
	grd(g, NULL, ".github/workflows/ci.yml", "path_protected: refusing "
	    "path '.github/workflows/ci.yml': protected by "
	    "apply.protected_paths (.github/workflows); the task's Files "
	    "field must name it", "a workflow");
	grd(g, NULL, ".github/ISSUE_TEMPLATE/bug.md", "ok",
	    "elsewhere in .github");
	grd(g, NULL, ".GitHub/Workflows/ci.yml", "path_protected: refusing "
	    "path '.GitHub/Workflows/ci.yml': protected by "
	    "apply.protected_paths (.github/workflows); the task's Files "
	    "field must name it", "any ASCII case");
	grd(g, NULL, ".github./workflows /ci.yml", "path_protected: refusing "
	    "path '.github./workflows /ci.yml': protected by "
	    "apply.protected_paths (.github/workflows); the task's Files "
	    "field must name it", "trailing dots and spaces (NTFS)");
	grd(g, NULL, "sub/.github/workflows/ci.yml", "ok",
	    "a workflow folder below the root is not one");
	grd(g, NULL, ".gitmodules", "path_protected: refusing path "
	    "'.gitmodules': protected by apply.protected_paths (.gitmodules); "
	    "the task's Files field must name it", ".gitmodules");
	grd(g, NULL, ".gitmodules::$DATA", "path_protected: refusing path "
	    "'.gitmodules::$DATA': protected by apply.protected_paths "
	    "(.gitmodules); the task's Files field must name it",
	    ".gitmodules' data stream (NTFS)");
	grd(g, NULL, "src/.gitattributes", "path_protected: refusing path "
	    "'src/.gitattributes': protected by apply.protected_paths "
	    "(.gitattributes); the task's Files field must name it",
	    ".gitattributes in a folder");
	grd(g, NULL, ".gitlab-ci.yml", "path_protected: refusing path "
	    "'.gitlab-ci.yml': protected by apply.protected_paths "
	    "(.gitlab-ci.yml); the task's Files field must name it",
	    "GitLab CI");
	grd(g, NULL, ".hu\xc5\xbfky/pre-commit", "path_protected: refusing "
	    "path '.hu\xc5\xbfky/pre-commit': protected by "
	    "apply.protected_paths (.husky); the task's Files field must name "
	    "it", "long s folds to s (case-insensitive APFS)");
	grd(g, NULL, "web/.husky/pre-push", "path_protected: refusing path "
	    "'web/.husky/pre-push': protected by apply.protected_paths "
	    "(.husky); the task's Files field must name it",
	    ".husky of a sub-package");
	grd(g, NULL, ".githooks/pre-commit", "path_protected: refusing path "
	    "'.githooks/pre-commit': a hook location (.githooks), always "
	    "protected; the task's Files field must name it", ".githooks");
	grd(g, NULL, ".pre-commit-config.yaml", "path_protected: refusing "
	    "path '.pre-commit-config.yaml': a hook location "
	    "(.pre-commit-config.yaml), always protected; the task's Files "
	    "field must name it", "pre-commit");
	grd(g, NULL, ".lfsconfig", "path_protected: refusing path "
	    "'.lfsconfig': a hook location (.lfsconfig), always protected; "
	    "the task's Files field must name it", ".lfsconfig");

	/* the task's Files field */
	grd(g, "\".github/workflows/ci.yml, src/x.c\"",
	    ".github/workflows/ci.yml", "ok", "Files names the workflow");
	grd(g, "\"`.github/workflows/ci.yml`\"", ".github/workflows/ci.yml",
	    "ok", "Files in backquotes");
	grd(g, "[\"src/x.c\", \".github/workflows/\"]",
	    ".github/workflows/ci.yml", "ok", "a folder in a Files array");
	grd(g, "\".github/workflows/*\"", ".github/workflows/ci.yml", "ok",
	    "a folder glob");
	grd(g, "\".GITHUB/workflows/CI.yml\"", ".github/workflows/ci.yml",
	    "ok", "compared as a case-insensitive file system would");
	grd(g, "\".github/workflows/ci.yml\"", ".github/workflows/release.yml",
	    "path_protected: refusing path '.github/workflows/release.yml': "
	    "protected by apply.protected_paths (.github/workflows); the "
	    "task's Files field must name it", "Files names another workflow");
	grd(g, "\".github/workflows/ci\"", ".github/workflows/ci.yml",
	    "path_protected: refusing path '.github/workflows/ci.yml': "
	    "protected by apply.protected_paths (.github/workflows); the "
	    "task's Files field must name it", "a prefix of a name is not it");
	grd(g, "\". / ./\"", ".gitmodules", "path_protected: refusing path "
	    "'.gitmodules': protected by apply.protected_paths (.gitmodules); "
	    "the task's Files field must name it", "'.' names nothing");
	grd(g, "\".githooks\"", ".githooks/pre-commit", "ok",
	    "Files opens a hook location too");
	aas_path_guard_free(g);

	fields = json_pack("{s:s, s:s}", "Priority", "P1", "FILES",
	    ".gitmodules");
	is_str(json_string_value(aas_path_files_field(fields)), ".gitmodules",
	    "the Files field in any capitalisation");
	json_decref(fields);
	ok(aas_path_files_field(NULL) == NULL, "no fields");

	/* a configured list */
	{
		json_t *l = json_pack("[s, s]", "deploy/", "Makefile");

		ok(aas_path_guard_new(l, &g, &e) == 0, "a configured list");
		json_decref(l);
	}
	grd(g, NULL, "deploy/prod.sh", "path_protected: refusing path "
	    "'deploy/prod.sh': protected by apply.protected_paths (deploy/); "
	    "the task's Files field must name it", "a configured folder");
	grd(g, NULL, "sub/Makefile", "path_protected: refusing path "
	    "'sub/Makefile': protected by apply.protected_paths (Makefile); "
	    "the task's Files field must name it",
	    "a name without a slash, at any depth");
	grd(g, NULL, ".gitmodules", "ok", "the default list replaced");
	grd(g, NULL, "lefthook.yml", "path_protected: refusing path "
	    "'lefthook.yml': a hook location (lefthook.yml), always "
	    "protected; the task's Files field must name it",
	    "hook locations stay");
	aas_path_guard_free(g);
	guard_new("[]", "ok", "an empty list");
	guard_new("\".github\"", "config: expected a list of paths",
	    "not a list");
	guard_new("[1]", "config: entry 1: not a string", "not a string");
	guard_new("[\"a\", \"\"]", "config: entry 2 '': empty", "empty entry");
	guard_new("[\"/etc\"]", "config: entry 1 '/etc': absolute",
	    "absolute entry");
	guard_new("[\"a/../b\"]", "config: entry 1 'a/../b': outside the "
	    "repository", "dot-dot entry");
	guard_new("[\"./\"]", "config: entry 1 './': no name in it",
	    "nothing in it");
	return done_testing();
}
