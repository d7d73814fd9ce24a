/*
 * banned.h: functions aas code must not call.  Included last by every .c
 * file of the project so that a use becomes a compile error.
 */
#ifndef AAS_BANNED_H
#define AAS_BANNED_H

#define AAS_BANNED(f) sorry_##f##_is_banned_in_aas

#undef strcpy
#define strcpy(x, y)		AAS_BANNED(strcpy)
#undef strcat
#define strcat(x, y)		AAS_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n)	AAS_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n)	AAS_BANNED(strncat)
#undef sprintf
#define sprintf(...)		AAS_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...)		AAS_BANNED(vsprintf)
#undef gets
#define gets(x)			AAS_BANNED(gets)
#undef strtok
#define strtok(x, y)		AAS_BANNED(strtok)
#undef system
#define system(x)		AAS_BANNED(system)
#undef popen
#define popen(x, y)		AAS_BANNED(popen)
#undef gmtime
#define gmtime(x)		AAS_BANNED(gmtime)
#undef localtime
#define localtime(x)		AAS_BANNED(localtime)
#undef ctime
#define ctime(x)		AAS_BANNED(ctime)
#undef asctime
#define asctime(x)		AAS_BANNED(asctime)

#endif
