#ifndef STRUTIL_H
#define STRUTIL_H

#include <stddef.h>

/* Reverse s in place; returns s. */
char	*str_reverse(char *s);
/* Number of times c occurs in s. */
size_t	 str_count(const char *s, int c);

#endif
