/* The static files of the pages (web/static/), compiled in by
 * web/embed.cmake so that the binary is all an operator installs. */
#ifndef SK_WEB_ASSETS_H
#define SK_WEB_ASSETS_H

#include <stddef.h>

typedef struct web_asset {
	const char *name; /* "app.css" */
	const char *type; /* the Content-Type */
	const unsigned char *data;
	size_t len;
} web_asset;

/* The file of that name under /static/, or NULL. */
const web_asset *web_asset_find(const char *name);

#endif
