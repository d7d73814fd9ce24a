/* price.c: model prices and what a call costs. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "price.h"
#include "banned.h"

static const struct {
	const char *model;
	struct aas_price p;
} default_prices[] = {
	{ "claude-haiku-4-5",	{ 1.00, 5.00, 0.10 } },
	{ "claude-opus-4-1",	{ 15.00, 75.00, 1.50 } },
	{ "claude-sonnet-4-5",	{ 3.00, 15.00, 0.30 } },
	{ "gpt-4.1",		{ 2.00, 8.00, 0.50 } },
	{ "gpt-4.1-mini",	{ 0.40, 1.60, 0.10 } },
	{ "gpt-4.1-nano",	{ 0.10, 0.40, 0.025 } },
	{ "gpt-4o",		{ 2.50, 10.00, 1.25 } },
	{ "gpt-4o-mini",	{ 0.15, 0.60, 0.075 } },
	{ "o4-mini",		{ 1.10, 4.40, 0.275 } },
};

int
aas_price_lookup(const struct aas_config *cf, const char *model,
    struct aas_price *p, struct aas_err *e)
{
	json_t *prices, *m, *v;
	size_t i;

	prices = cf ? aas_config_get(cf, "prices") : NULL;
	m = json_object_get(prices, model);
	if (m != NULL) {
		if (!json_is_object(m))
			return aas_err_set(e, "config", "%s: prices.%s: not a "
			    "mapping", aas_config_where(cf, "prices"), model);
		v = json_object_get(m, "input");
		if (!json_is_number(v))
			return aas_err_set(e, "config", "%s: prices.%s.input: "
			    "not a number", aas_config_where(cf, "prices"),
			    model);
		p->input = json_number_value(v);
		v = json_object_get(m, "output");
		if (!json_is_number(v))
			return aas_err_set(e, "config", "%s: prices.%s.output: "
			    "not a number", aas_config_where(cf, "prices"),
			    model);
		p->output = json_number_value(v);
		v = json_object_get(m, "cached");
		if (v != NULL && !json_is_number(v))
			return aas_err_set(e, "config", "%s: prices.%s.cached: "
			    "not a number", aas_config_where(cf, "prices"),
			    model);
		p->cached = v ? json_number_value(v) : p->input;
		return 0;
	}
	for (i = 0; i < sizeof(default_prices) / sizeof(default_prices[0]);
	    i++)
		if (strcmp(default_prices[i].model, model) == 0) {
			*p = default_prices[i].p;
			return 0;
		}
	return 1;
}

double
aas_price_usd(const struct aas_price *p, long in, long out, long cached,
    double discount)
{
	if (cached > in)
		cached = in;
	return ((double)(in - cached) * p->input +
	    (double)cached * p->cached + (double)out * p->output) / 1e6 *
	    discount;
}

double
aas_usd_round(double usd)
{
	return (double)(long long)(usd * 1e8 + (usd >= 0 ? 0.5 : -0.5)) / 1e8;
}

char *
aas_usd_format(double usd, char *buf, size_t size)
{
	double a = usd < 0 ? -usd : usd;
	int dec = 2, mag;
	size_t n;
	char *dot;

	if (a > 0 && a < 1) {
		mag = (int)floor(log10(a));
		dec = 3 - mag;
		if (dec > 12)
			dec = 12;
		if (dec < 2)
			dec = 2;
	}
	snprintf(buf, size, "%.*f", dec, usd);
	dot = strchr(buf, '.');
	if (dot != NULL) {
		n = strlen(buf);
		while (n > (size_t)(dot - buf) + 3 && buf[n - 1] == '0')
			buf[--n] = '\0';
	}
	return buf;
}
