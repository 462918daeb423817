/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * What the fuzz targets share: a run depends on the input only, so the
 * DMAPOOL_* variables of the environment (arch, bootargs, knobs, armed
 * failures...) are removed before the first input.
 */
#ifndef DMAPOOL_FUZZ_COMMON_H
#define DMAPOOL_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

extern char **environ;

static inline void fz_clean_env(void)
{
	for (size_t i = 0; environ && environ[i]; ) {
		char name[128];
		const char *eq = strchr(environ[i], '=');
		size_t n = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);

		if (strncmp(environ[i], "DMAPOOL_", 8) || n >= sizeof(name)) {
			i++;
			continue;
		}
		memcpy(name, environ[i], n);
		name[n] = 0;
		unsetenv(name);		/* environ[i] is now the next one */
	}
}

#endif
