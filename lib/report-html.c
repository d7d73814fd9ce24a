/* report-html.c: the run as one self-contained HTML page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "report.h"
#include "report-int.h"
#include "banned.h"

#define CHART_BARS	20	/* tasks in the cost chart; the rest summed */
#define LABEL_CHARS	24

static const char css[] =
":root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;"
"--bg:#fff;--done:#1a7f37;--fail:#cf222e;--left:#9a6700;--accent:#4f46e5;"
"--accent2:#a5b4fc;--pass:#2da44e;color-scheme:light dark}\n"
"@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;"
"--line:#3d444d;--soft:#151b23;--bg:#0d1117;--done:#3fb950;--fail:#f85149;"
"--left:#d29922;--accent:#818cf8;--accent2:#3730a3;--pass:#3fb950}}\n"
"*{box-sizing:border-box}\n"
"body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 "
"system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",\"DejaVu Sans\","
"sans-serif}\n"
"main{max-width:1120px;margin:0 auto;padding:28px 20px 60px}\n"
"h1{font-size:26px;margin:0 0 2px;letter-spacing:-.01em}\n"
"h2{font-size:19px;margin:36px 0 12px;padding-bottom:6px;"
"border-bottom:1px solid var(--line)}\n"
"h3{font-size:16px;margin:0 0 8px;display:flex;flex-wrap:wrap;gap:8px;"
"align-items:baseline}\n"
"h4{font-size:13px;text-transform:uppercase;letter-spacing:.04em;"
"color:var(--muted);margin:16px 0 6px}\n"
".sub{color:var(--muted);margin:0}\n"
"code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,\"DejaVu Sans Mono\","
"Menlo,Consolas,monospace}\n"
"code{background:var(--soft);border:1px solid var(--line);border-radius:4px;"
"padding:0 4px;overflow-wrap:anywhere}\n"
"pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;"
"padding:10px 12px;margin:6px 0 0;overflow:auto;max-height:360px;"
"white-space:pre-wrap;overflow-wrap:anywhere}\n"
".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));"
"gap:12px;margin:20px 0 0}\n"
".card{border:1px solid var(--line);border-radius:8px;padding:12px 14px;"
"background:var(--soft)}\n"
".card .n{display:block;font-size:26px;font-weight:650;"
"font-variant-numeric:tabular-nums;line-height:1.2}\n"
".card .l{color:var(--muted);font-size:13px}\n"
".card.done .n{color:var(--done)}.card.failed .n{color:var(--fail)}"
".card.left .n{color:var(--left)}\n"
".scroll{overflow-x:auto;border:1px solid var(--line);border-radius:8px}\n"
"table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\n"
"th,td{padding:7px 10px;text-align:left;border-bottom:1px solid var(--line);"
"vertical-align:top}\n"
"tbody tr:last-child td{border-bottom:0}\n"
"tfoot td{border-top:2px solid var(--line);border-bottom:0;font-weight:600}\n"
"th{background:var(--soft);font-size:13px;white-space:nowrap}\n"
"th button{all:unset;cursor:pointer;color:var(--fg);font-weight:600}\n"
"th button:focus-visible{outline:2px solid var(--accent);outline-offset:2px}\n"
"th[aria-sort=ascending] button::after{content:\" \\25B2\";font-size:10px}\n"
"th[aria-sort=descending] button::after{content:\" \\25BC\";font-size:10px}\n"
"td.num,th.num{text-align:right;white-space:nowrap}\n"
".nowrap{white-space:nowrap}\n"
"td a{color:inherit}\n"
".badge{display:inline-block;font-size:12px;font-weight:600;padding:1px 8px;"
"border-radius:999px;border:1px solid currentColor;white-space:nowrap}\n"
".badge.done{color:var(--done)}.badge.failed{color:var(--fail)}"
".badge.left{color:var(--left)}\n"
".charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));"
"gap:16px}\n"
"figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:12px}\n"
"figcaption{font-weight:600;margin-bottom:6px}\n"
"svg{width:100%;height:auto;display:block}\n"
"svg text{font:13px system-ui,sans-serif;fill:var(--fg)}\n"
"svg .v{fill:var(--muted)}\n"
".s0{fill:var(--accent2)}.s1{fill:var(--accent)}.pass{fill:var(--pass)}"
".fail{fill:var(--fail)}\n"
".empty{color:var(--muted);margin:0}\n"
".task{border:1px solid var(--line);border-left:4px solid var(--left);"
"border-radius:8px;padding:14px 16px;margin:0 0 14px}\n"
".task.done{border-left-color:var(--done)}"
".task.failed{border-left-color:var(--fail)}\n"
".task .tid{font-family:ui-monospace,monospace;font-size:14px}\n"
".meta{display:flex;flex-wrap:wrap;gap:4px 20px;margin:0;font-size:13px}\n"
".meta div{display:flex;gap:6px}.meta dt{color:var(--muted)}"
".meta dd{margin:0}\n"
".why{color:var(--fail);margin:10px 0 0;overflow-wrap:anywhere}\n"
"details.check{border-top:1px solid var(--line);padding:6px 0}\n"
"details.check summary{cursor:pointer}\n"
".check .dot{display:inline-block;width:9px;height:9px;border-radius:50%;"
"margin-right:7px;background:var(--pass)}\n"
".check.bad .dot{background:var(--fail)}.check.skip .dot{background:"
"var(--muted)}\n"
".muted{color:var(--muted);font-size:13px}\n"
"ul.files,ol.att{margin:0;padding-left:20px;font-size:14px}\n"
"ul.files li,ol.att li{margin:2px 0;overflow-wrap:anywhere}\n"
".op{display:inline-block;min-width:58px;color:var(--muted);font-size:12px}\n"
"@media (max-width:640px){main{padding:18px 12px 40px}h1{font-size:22px}"
"th,td{padding:6px 8px}.hide-narrow{display:none}}\n";

static const char script[] =
"(function(){var t=document.getElementById('tasks');if(!t)return;\n"
"var hs=t.tHead.rows[0].cells,b=t.tBodies[0];\n"
"function key(i){return hs[i].getAttribute('data-key');}\n"
"function sort(i,desc){var rows=Array.prototype.slice.call(b.rows);\n"
"var num=hs[i].getAttribute('data-type')==='num';\n"
"rows.sort(function(x,y){var a=x.cells[i].getAttribute('data-v'),"
"c=y.cells[i].getAttribute('data-v');\n"
"var r=num?parseFloat(a)-parseFloat(c):a.localeCompare(c,undefined,"
"{numeric:true});\n"
"if(r===0)r=x.getAttribute('data-i')-y.getAttribute('data-i');"
"else if(desc)r=-r;return r;});\n"
"rows.forEach(function(r){b.appendChild(r);});\n"
"for(var k=0;k<hs.length;k++)hs[k].removeAttribute('aria-sort');\n"
"hs[i].setAttribute('aria-sort',desc?'descending':'ascending');}\n"
"Array.prototype.forEach.call(hs,function(h,i){h.querySelector('button')"
".addEventListener('click',function(){\n"
"var desc=h.getAttribute('aria-sort')==='ascending';sort(i,desc);\n"
"history.replaceState(null,'','#sort='+(desc?'-':'')+key(i));});});\n"
"var m=/^#sort=(-?)([a-z]+)$/.exec(location.hash);\n"
"if(m)for(var j=0;j<hs.length;j++)if(key(j)===m[2])sort(j,m[1]==='-');\n"
"})();\n";

/* open, s escaped as text, close. */
static void
wrap(struct aas_buf *b, const char *open, const char *s, const char *close)
{
	aas_buf_adds(b, open);
	rpt_esc(b, s, 0);
	aas_buf_adds(b, close);
}

static const char *
cls(const struct rpt_task *t)
{
	return t->state == RPT_DONE ? "done" : t->state == RPT_FAILED ?
	    "failed" : "left";
}

/* The first LABEL_CHARS characters of s ("…" when cut), escaped. */
static void
label(struct aas_buf *b, const char *s)
{
	struct aas_buf x = AAS_BUF_INIT;
	size_t chars = 0, i;

	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 &&
		    chars++ == LABEL_CHARS) {
			aas_buf_adds(&x, "\xe2\x80\xa6");
			break;
		}
		aas_buf_addc(&x, s[i]);
	}
	rpt_esc(b, x.s, 0);
	aas_buf_free(&x);
}

struct bar {
	const char *name;
	char	 sub[16];	/* "+ 12 more" */
	double	 seg[2];
	char	 value[64];
};

/* A horizontal bar chart of n bars, two stacked segments each. */
static void
chart(struct aas_buf *b, const char *title, const char *desc,
    const struct bar *bars, size_t n, const char *c0, const char *c1,
    const char *l0, const char *l1)
{
	double max = 0, x, w;
	size_t i;
	int k, y, h;

	wrap(b, "<figure><figcaption>", title, "</figcaption>\n");
	for (i = 0; i < n; i++)
		if (bars[i].seg[0] + bars[i].seg[1] > max)
			max = bars[i].seg[0] + bars[i].seg[1];
	if (n == 0 || max <= 0) {
		wrap(b, "<p class=\"empty\">", desc, "</p></figure>\n");
		return;
	}
	h = (int)n * 26 + 34;
	aas_buf_printf(b, "<svg viewBox=\"0 0 480 %d\" role=\"img\" "
	    "aria-label=\"", h);
	rpt_esc(b, title, 1);
	aas_buf_adds(b, "\">\n");
	for (i = 0; i < n; i++) {
		y = (int)i * 26;
		aas_buf_printf(b, "<g><title>");
		rpt_esc(b, bars[i].name, 0);
		aas_buf_printf(b, ": %s</title><text x=\"118\" y=\"%d\" "
		    "text-anchor=\"end\">", bars[i].value, y + 16);
		label(b, bars[i].name);
		aas_buf_adds(b, "</text>");
		x = 126;
		for (k = 0; k < 2; k++) {
			w = bars[i].seg[k] / max * 270;
			if (w <= 0)
				continue;
			if (w < 1)
				w = 1;
			aas_buf_printf(b, "<rect class=\"%s\" x=\"%.1f\" y=\"%d\" "
			    "width=\"%.1f\" height=\"16\" rx=\"2\"/>", k ? c1 : c0,
			    x, y + 4, w);
			x += w;
		}
		aas_buf_printf(b, "<text class=\"v\" x=\"%.1f\" y=\"%d\">",
		    x + 6, y + 16);
		rpt_esc(b, bars[i].value, 0);
		aas_buf_adds(b, "</text></g>\n");
	}
	y = (int)n * 26 + 14;
	aas_buf_printf(b, "<rect class=\"%s\" x=\"126\" y=\"%d\" width=\"12\" "
	    "height=\"12\" rx=\"2\"/><text x=\"144\" y=\"%d\">", c0, y, y + 10);
	rpt_esc(b, l0, 0);
	aas_buf_printf(b, "</text><rect class=\"%s\" x=\"270\" y=\"%d\" "
	    "width=\"12\" height=\"12\" rx=\"2\"/><text x=\"288\" y=\"%d\">",
	    c1, y, y + 10);
	rpt_esc(b, l1, 0);
	aas_buf_adds(b, "</text>\n</svg></figure>\n");
}

static int
by_cost(const void *a, const void *b)
{
	const struct bar *x = a, *y = b;
	double d = (y->seg[0] + y->seg[1]) - (x->seg[0] + x->seg[1]);

	return d > 0 ? 1 : d < 0 ? -1 : 0;
}

static void
cost_chart(struct aas_buf *b, const struct aas_report *r)
{
	struct bar *bars = aas_xcalloc(r->n + 1, sizeof(*bars));
	const struct rpt_task *t;
	size_t i, k, n = 0;
	double last;
	char more[48];

	for (i = 0; i < r->n; i++) {
		t = r->t[i];
		last = t->cost == 1 ? t->usd : 0;
		bars[n].name = t->id;
		bars[n].seg[1] = last;
		bars[n].seg[0] = rpt_task_usd(t, NULL) - last;
		if (bars[n].seg[0] + bars[n].seg[1] > 0)
			n++;
	}
	qsort(bars, n, sizeof(*bars), by_cost);
	if (n > CHART_BARS) {
		double s0 = 0, s1 = 0;

		for (k = CHART_BARS - 1; k < n; k++) {
			s0 += bars[k].seg[0];
			s1 += bars[k].seg[1];
		}
		snprintf(more, sizeof(more), "%zu other tasks",
		    n - (CHART_BARS - 1));
		bars[CHART_BARS - 1].name = more;
		bars[CHART_BARS - 1].seg[0] = s0;
		bars[CHART_BARS - 1].seg[1] = s1;
		n = CHART_BARS;
	}
	for (i = 0; i < n; i++)
		rpt_usd(bars[i].seg[0] + bars[i].seg[1], bars[i].value,
		    sizeof(bars[i].value));
	chart(b, "Cost per task", "No cost recorded.", bars, n, "s0", "s1",
	    "earlier attempts", "last attempt");
	free(bars);
}

static void
time_chart(struct aas_buf *b, const struct aas_report *r)
{
	struct bar *bars = NULL;
	const struct rpt_check *c;
	size_t i, k, j, n = 0;

	for (i = 0; i < r->n; i++)
		for (k = 0; k < r->t[i]->nchecks; k++) {
			c = &r->t[i]->checks[k];
			if (c->skipped)
				continue;
			for (j = 0; j < n; j++)
				if (strcmp(bars[j].name, c->name) == 0)
					break;
			if (j == n) {
				bars = aas_xreallocarray(bars, n + 1,
				    sizeof(*bars));
				memset(&bars[n], 0, sizeof(*bars));
				bars[n++].name = c->name;
			}
			bars[j].seg[c->ok ? 0 : 1] += (double)c->ms;
		}
	for (i = 0; i < n; i++)
		rpt_duration((long long)(bars[i].seg[0] + bars[i].seg[1]),
		    bars[i].value, sizeof(bars[i].value));
	chart(b, "Time per check (all tasks)", "No checks ran.", bars, n,
	    "pass", "fail", "passed", "failed");
	free(bars);
}

static void
cell(struct aas_buf *b, const char *klass, const char *sortv,
    const char *text)
{
	aas_buf_printf(b, "<td%s%s%s data-v=\"", klass ? " class=\"" : "",
	    klass ? klass : "", klass ? "\"" : "");
	rpt_esc(b, sortv, 1);
	aas_buf_adds(b, "\">");
	rpt_esc(b, text, 0);
	aas_buf_adds(b, "</td>");
}

static void
task_row(struct aas_buf *b, const struct rpt_task *t, size_t i)
{
	char v[64], x[64], y[64], txt[160];
	size_t u;
	double usd = rpt_task_usd(t, &u);

	aas_buf_printf(b, "<tr data-i=\"%zu\"><td data-v=\"", i);
	rpt_esc(b, t->id, 1);
	aas_buf_printf(b, "\"><a href=\"#task-%zu\"><b>", i + 1);
	rpt_esc(b, t->id, 0);
	aas_buf_adds(b, "</b></a> ");
	rpt_esc(b, t->title, 0);
	aas_buf_printf(b, "</td><td data-v=\"%d%s\"><span class=\"badge %s\">"
	    "%s</span></td>", t->state == RPT_FAILED ? 0 : t->state ==
	    RPT_LEFT ? 1 : 2, t->status, cls(t), t->status);
	snprintf(v, sizeof(v), "%lld", rpt_task_attempts(t));
	cell(b, "num hide-narrow", v, v);
	cell(b, "nowrap hide-narrow", t->model ? t->model : "",
	    t->model ? t->model : "\xe2\x80\x94");
	snprintf(v, sizeof(v), "%lld", t->in + t->out);
	if (t->has_usage)
		snprintf(txt, sizeof(txt), "%s + %s", rpt_count(t->in, x,
		    sizeof(x)), rpt_count(t->out, y, sizeof(y)));
	else
		snprintf(txt, sizeof(txt), "\xe2\x80\x94");
	cell(b, "num hide-narrow", v, txt);
	snprintf(v, sizeof(v), "%.10f", usd);
	if (t->cost != 0 || t->nhist > 0)
		snprintf(txt, sizeof(txt), "%s%s", rpt_usd(usd, x, sizeof(x)),
		    u ? " (unpriced)" : "");
	else
		snprintf(txt, sizeof(txt), "\xe2\x80\x94");
	cell(b, "num", v, txt);
	snprintf(v, sizeof(v), "%lld", t->nchecks > 0 ? t->ms : -1);
	cell(b, "num hide-narrow", v, t->nchecks > 0 ? rpt_duration(t->ms, x,
	    sizeof(x)) : "\xe2\x80\x94");
	aas_buf_adds(b, "<td class=\"hide-narrow\" data-v=\"");
	rpt_esc(b, t->pr ? t->pr : t->branch ? t->branch : "", 1);
	aas_buf_adds(b, "\">");
	if (t->pr != NULL) {
		aas_buf_adds(b, "<a href=\"");
		rpt_esc(b, t->pr, 1);
		aas_buf_adds(b, "\">");
		rpt_esc(b, rpt_pr_name(t->pr, x, sizeof(x)), 0);
		aas_buf_adds(b, "</a>");
	} else if (t->branch != NULL) {
		wrap(b, "<code>", t->branch, "</code>");
	} else
		aas_buf_adds(b, "\xe2\x80\x94");
	aas_buf_adds(b, "</td></tr>\n");
}

static void
meta(struct aas_buf *b, const char *dt, const char *dd, int code)
{
	if (dd == NULL || *dd == '\0')
		return;
	wrap(b, "<div><dt>", dt, code ? "</dt><dd><code>" : "</dt><dd>");
	rpt_esc(b, dd, 0);
	aas_buf_adds(b, code ? "</code></dd></div>" : "</dd></div>");
}

static void
check_html(struct aas_buf *b, const struct rpt_check *c)
{
	char d[32];
	const char *k = c->skipped ? "skip" : c->ok ? "ok" : "bad";

	aas_buf_printf(b, "<details class=\"check %s\"%s><summary><span "
	    "class=\"dot\"></span>", k, !c->ok && !c->skipped ? " open" : "");
	rpt_esc(b, c->name, 0);
	aas_buf_adds(b, " <span class=\"muted\">");
	if (c->skipped)
		aas_buf_adds(b, "skipped");
	else if (c->timeout)
		aas_buf_adds(b, "timed out");
	else if (c->sig > 0)
		aas_buf_printf(b, "signal %lld", c->sig);
	else if (c->has_exit)
		aas_buf_printf(b, "exit %lld", c->exit);
	aas_buf_printf(b, " \xc2\xb7 %s", rpt_duration(c->ms, d, sizeof(d)));
	if (c->tail_cut)
		aas_buf_adds(b, " \xc2\xb7 the end of its output");
	aas_buf_adds(b, "</span></summary>");
	if (c->tail != NULL && *c->tail != '\0') {
		wrap(b, "<pre>", c->tail, "</pre>");
	} else
		aas_buf_adds(b, "<p class=\"muted\">No output kept.</p>");
	aas_buf_adds(b, "</details>\n");
}

static void
task_article(struct aas_buf *b, const struct rpt_task *t, size_t i)
{
	const struct rpt_attempt *a;
	char v[64], x[64], y[64];
	size_t k, u;
	double usd = rpt_task_usd(t, &u);
	char *why;

	aas_buf_printf(b, "<article class=\"task %s\" id=\"task-%zu\"><h3>"
	    "<span class=\"badge %s\">%s</span> <span class=\"tid\">", cls(t),
	    i + 1, cls(t), t->status);
	rpt_esc(b, t->id, 0);
	wrap(b, "</span> ", t->title, "</h3>\n<dl class=\"meta\">");
	meta(b, "Branch", t->branch, 1);
	if (t->commit != NULL) {
		snprintf(v, sizeof(v), "%.12s", t->commit);
		meta(b, "Commit", v, 1);
	}
	meta(b, "Pull request", t->pr, 0);
	meta(b, "Integrated into", t->integrated, 1);
	meta(b, "Model", t->model, 0);
	if (t->has_usage) {
		snprintf(v, sizeof(v), "%s in, %s out", rpt_count(t->in, x,
		    sizeof(x)), rpt_count(t->out, y, sizeof(y)));
		meta(b, "Tokens", v, 0);
	}
	if (t->cost != 0 || t->nhist > 0) {
		snprintf(v, sizeof(v), "%s%s", rpt_usd(usd, x, sizeof(x)),
		    u ? " (and unpriced answers)" : "");
		meta(b, "Cost", v, 0);
	}
	snprintf(v, sizeof(v), "%lld", rpt_task_attempts(t));
	meta(b, "Attempts", v, 0);
	if (t->nchecks > 0)
		meta(b, "Checks", rpt_duration(t->ms, x, sizeof(x)), 0);
	meta(b, "Board", t->board, 0);
	aas_buf_adds(b, "</dl>\n");
	if (t->state == RPT_FAILED) {
		why = rpt_reason(t);
		wrap(b, "<p class=\"why\">", why, "</p>\n");
		free(why);
	}
	if (t->nchecks > 0) {
		aas_buf_adds(b, "<h4>Checks</h4>\n");
		for (k = 0; k < t->nchecks; k++)
			check_html(b, &t->checks[k]);
		if (t->more_checks > 0)
			aas_buf_printf(b, "<p class=\"muted\">and %zu more "
			    "checks</p>\n", t->more_checks);
		if (t->tails_dropped)
			aas_buf_adds(b, "<p class=\"muted\">Output not kept: a "
			    "report keeps at most 8 MiB of check output.</p>\n");
	}
	if (t->nfiles > 0) {
		aas_buf_printf(b, "<h4>Files (%zu)</h4>\n<ul class=\"files\">",
		    t->nfiles + t->more_files);
		for (k = 0; k < t->nfiles; k++) {
			aas_buf_adds(b, "<li><span class=\"op\">");
			rpt_esc(b, t->files[k].op ? t->files[k].op : "", 0);
			aas_buf_adds(b, "</span><code>");
			rpt_esc(b, t->files[k].path, 0);
			aas_buf_adds(b, "</code></li>");
		}
		if (t->more_files > 0)
			aas_buf_printf(b, "<li class=\"muted\">and %zu more"
			    "</li>", t->more_files);
		aas_buf_adds(b, "</ul>\n");
	}
	aas_buf_adds(b, "<h4>Attempts</h4>\n<ol class=\"att\">");
	if (t->more_hist > 0)
		aas_buf_printf(b, "<li class=\"muted\">%zu earlier attempts "
		    "not shown</li>", t->more_hist);
	for (k = 0; k < t->nhist; k++) {
		a = &t->hist[k];
		aas_buf_printf(b, "<li value=\"%lld\">", a->attempt);
		rpt_esc(b, a->stage ? a->stage : "?", 0);
		aas_buf_adds(b, ": ");
		rpt_esc(b, a->code ? a->code : "?", 0);
		if (a->message != NULL && *a->message != '\0') {
			aas_buf_adds(b, ": ");
			rpt_esc(b, a->message, 0);
		}
		if (a->checks != NULL) {
			wrap(b, " <span class=\"muted\">(checks: ", a->checks,
			    ")</span>");
		}
		aas_buf_adds(b, " <span class=\"muted\">");
		if (a->model != NULL) {
			rpt_esc(b, a->model, 0);
			aas_buf_adds(b, " \xc2\xb7 ");
		}
		aas_buf_adds(b, a->priced ? rpt_usd(a->usd, x, sizeof(x)) :
		    "unpriced");
		aas_buf_adds(b, "</span>");
		if (a->branch != NULL) {
			wrap(b, " <code>", a->branch, "</code>");
		}
		aas_buf_adds(b, "</li>");
	}
	aas_buf_printf(b, "<li value=\"%lld\"><b>%s</b>", rpt_task_attempts(t),
	    t->status);
	if (t->state == RPT_FAILED) {
		why = rpt_reason(t);
		aas_buf_adds(b, ": ");
		rpt_esc(b, why, 0);
		free(why);
	}
	aas_buf_adds(b, " <span class=\"muted\">this attempt");
	if (t->cost == 1)
		aas_buf_printf(b, " \xc2\xb7 %s", rpt_usd(t->usd, x, sizeof(x)));
	aas_buf_adds(b, "</span></li></ol>\n");
	if (t->ncands > 0) {
		aas_buf_printf(b, "<h4>Candidates (%zu)</h4>\n<ul class=\"files\">",
		    t->ncands + t->more_cands);
		for (k = 0; k < t->ncands; k++) {
			const struct rpt_cand *c = &t->cands[k];

			aas_buf_printf(b, "<li><span class=\"op\">%s</span>"
			    "candidate %lld", c->ok ? "passed" : "failed", c->k);
			if (!c->ok) {
				aas_buf_adds(b, ": ");
				rpt_esc(b, c->stage ? c->stage : "?", 0);
				aas_buf_adds(b, ": ");
				rpt_esc(b, c->code ? c->code : "?", 0);
			}
			if (c->checks != NULL) {
				aas_buf_adds(b, " <span class=\"muted\">(checks: ");
				rpt_esc(b, c->checks, 0);
				aas_buf_adds(b, ")</span>");
			}
			aas_buf_adds(b, "</li>");
		}
		if (t->more_cands > 0)
			aas_buf_printf(b, "<li class=\"muted\">and %zu more"
			    "</li>", t->more_cands);
		aas_buf_adds(b, "</ul>\n");
	}
	aas_buf_adds(b, "</article>\n");
}

void
aas_report_html(struct aas_report *r, struct aas_buf *b)
{
	struct rpt_totals tt;
	struct rpt_model *m;
	char u[64], w[64], x[64], y[64], *tl;
	size_t i, nm;
	static const struct {
		const char *key, *type, *label, *klass;
	} cols[] = {
		{ "task", "text", "Task", NULL },
		{ "status", "text", "Status", NULL },
		{ "attempts", "num", "Attempts", "num hide-narrow" },
		{ "model", "text", "Model", "nowrap hide-narrow" },
		{ "tokens", "num", "Tokens", "num hide-narrow" },
		{ "cost", "num", "Cost", "num" },
		{ "time", "num", "Checks", "num hide-narrow" },
		{ "branch", "text", "Branch or PR", "hide-narrow" },
	};

	rpt_totals(r, NULL, &tt);
	tl = rpt_time_line(r, &tt);
	aas_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src 'unsafe-inline'; "
	    "script-src 'unsafe-inline'\">\n"
	    "<title>aas run: %zu done, %zu failed, %zu left</title>\n"
	    "<style>\n%s</style>\n</head>\n<body>\n<main>\n"
	    "<header><h1>aas run</h1><p class=\"sub\">%s \xc2\xb7 ",
	    tt.done, tt.failed, tt.left, css, rpt_when(r->now, 0, w,
	    sizeof(w)));
	rpt_esc(b, tl, 0);
	free(tl);
	if (r->stopped)
		aas_buf_adds(b, "</p>\n<p class=\"sub\"><b>Stopped early:</b> "
		    "the records not yet read are not on this page.");
	aas_buf_printf(b, "</p>\n<div class=\"cards\">"
	    "<div class=\"card\"><span class=\"n\">%zu</span>"
	    "<span class=\"l\">tasks</span></div>"
	    "<div class=\"card done\"><span class=\"n\">%zu</span>"
	    "<span class=\"l\">done</span></div>"
	    "<div class=\"card failed\"><span class=\"n\">%zu</span>"
	    "<span class=\"l\">failed</span></div>"
	    "<div class=\"card left\"><span class=\"n\">%zu</span>"
	    "<span class=\"l\">left</span></div>"
	    "<div class=\"card\"><span class=\"n\">%s</span>"
	    "<span class=\"l\">spent%s</span></div>"
	    "<div class=\"card\"><span class=\"n\">%s</span>"
	    "<span class=\"l\">in checks</span></div></div>\n</header>\n",
	    tt.tasks, tt.done, tt.failed, tt.left, rpt_usd(tt.usd, u,
	    sizeof(u)), tt.unpriced ? " (some unpriced)" : "",
	    rpt_duration(tt.ms, x, sizeof(x)));

	aas_buf_adds(b, "<section><h2>Tasks</h2>\n");
	if (r->n == 0)
		aas_buf_adds(b, "<p class=\"empty\">No tasks came through."
		    "</p>\n");
	else {
		aas_buf_adds(b, "<div class=\"scroll\"><table id=\"tasks\">"
		    "<thead><tr>");
		for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
			aas_buf_printf(b, "<th%s%s%s data-key=\"%s\" "
			    "data-type=\"%s\"><button type=\"button\">%s"
			    "</button></th>", cols[i].klass ? " class=\"" : "",
			    cols[i].klass ? cols[i].klass : "",
			    cols[i].klass ? "\"" : "", cols[i].key,
			    cols[i].type, cols[i].label);
		aas_buf_adds(b, "</tr></thead>\n<tbody>\n");
		for (i = 0; i < r->n; i++) {
			task_row(b, r->t[i], i);
			rpt_flush(r, b);
		}
		aas_buf_printf(b, "</tbody>\n<tfoot><tr><td>Total</td><td>"
		    "</td><td class=\"num hide-narrow\">%lld</td>"
		    "<td class=\"hide-narrow\"></td>"
		    "<td class=\"num hide-narrow\">", tt.attempts);
		if (tt.in + tt.out > 0)
			aas_buf_printf(b, "%s + %s", rpt_count(tt.in, x,
			    sizeof(x)), rpt_count(tt.out, y, sizeof(y)));
		else
			aas_buf_adds(b, "\xe2\x80\x94");
		aas_buf_printf(b, "</td><td class=\"num\">%s</td>"
		    "<td class=\"num hide-narrow\">%s</td>"
		    "<td class=\"hide-narrow\"></td></tr></tfoot>"
		    "</table></div>\n", u, rpt_duration(tt.ms, w, sizeof(w)));
	}
	aas_buf_adds(b, "</section>\n<section><h2>Where the money and the "
	    "time went</h2>\n<div class=\"charts\">\n");
	cost_chart(b, r);
	time_chart(b, r);
	aas_buf_adds(b, "</div>\n");
	m = rpt_models(r, &nm);
	if (nm > 0) {
		aas_buf_adds(b, "<h2>Cost per model</h2>\n<div class=\"scroll\">"
		    "<table><thead><tr><th>Model</th><th class=\"num\">Attempts"
		    "</th><th class=\"num hide-narrow\">Tokens</th><th class=\"num\">Cost"
		    "</th></tr></thead><tbody>\n");
		for (i = 0; i < nm; i++) {
			aas_buf_adds(b, "<tr><td class=\"nowrap\">");
			rpt_esc(b, *m[i].model ? m[i].model : "(unknown)", 0);
			aas_buf_printf(b, "</td><td class=\"num\">%lld</td>",
			    m[i].attempts);
			if (m[i].in + m[i].out > 0)
				aas_buf_printf(b, "<td class=\"num hide-narrow\">"
				    "%s + %s</td>",
				    rpt_count(m[i].in, x, sizeof(x)),
				    rpt_count(m[i].out, y, sizeof(y)));
			else
				aas_buf_adds(b, "<td class=\"num hide-narrow\">"
				    "\xe2\x80\x94</td>");
			aas_buf_printf(b, "<td class=\"num\">%s%s</td></tr>\n",
			    rpt_usd(m[i].usd, w, sizeof(w)), m[i].unpriced ?
			    " (some unpriced)" : "");
		}
		aas_buf_adds(b, "</tbody></table></div>\n");
	}
	free(m);
	aas_buf_adds(b, "</section>\n");
	if (r->n > 0) {
		aas_buf_adds(b, "<section><h2>Task details</h2>\n");
		for (i = 0; i < r->n; i++) {
			task_article(b, r->t[i], i);
			rpt_flush(r, b);
		}
		aas_buf_adds(b, "</section>\n");
	}
	aas_buf_printf(b, "</main>\n<script>\n%s</script>\n</body>\n</html>\n",
	    script);
}
