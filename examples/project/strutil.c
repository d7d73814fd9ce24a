#include <string.h>

#include "strutil.h"

char *
str_reverse(char *s)
{
	size_t i, n = strlen(s);
	char t;

	for (i = 0; i < n / 2; i++) {
		t = s[i];
		s[i] = s[n - 1 - i];
		s[n - 1 - i] = t;
	}
	return s;
}

size_t
str_count(const char *s, int c)
{
	size_t i, n = 0;

	for (i = 1; s[i] != '\0'; i++)
		if (s[i] == c)
			n++;
	return n;
}
