/* price.h: model prices (USD per million tokens) and costs. */
#ifndef AAS_PRICE_H
#define AAS_PRICE_H

#include "aas.h"

struct aas_config;

struct aas_price {
	double	input;
	double	output;
	double	cached;
};
/*
 * The price of model: config "prices: {MODEL: {input, output, cached}}"
 * (cached defaults to input), else a built-in default.  0 found, 1
 * unknown model, -1 a config value of the wrong type (e set).
 */
int	aas_price_lookup(const struct aas_config *cf, const char *model,
	    struct aas_price *p, struct aas_err *e);
/* Cost of a call; discount multiplies (0.5 for batches, 1 for sync).
 * cached tokens are part of in. */
double	aas_price_usd(const struct aas_price *p, long in, long out,
	    long cached, double discount);
/* usd rounded to 1e-8. */
double	aas_usd_round(double usd);
/*
 * usd for a message, into buf: at least two decimals and four
 * significant digits, trailing zeros past the second decimal dropped,
 * never in exponent form ("25.00", "0.0058", "0.001", "0.000000001").
 * Returns buf.
 */
char	*aas_usd_format(double usd, char *buf, size_t size);

#endif
