// SPDX-License-Identifier: BSD-2-Clause
/*
 * Static identities file (--identities): parser and lookups.
 *
 * The file is written by hand, so the parser is strict and every error names
 * the file, the line and what is wrong; a typo that silently made a rule
 * never match would be much harder to find than a refused start. Rules are
 * kept in two flat arrays and looked up by linear scan: files have at most a
 * few thousand rules and lookups are cached by the callers per flow, so a
 * prefix trie would be complexity without a measurable gain.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"

#define IDENTITY_EXPECTED "expected '<selector> key=value ...'"
#define TOKEN_SEPS	  " \t\r\n\v\f"

struct addr_rule {
	uint8_t net[16];   /* IPv4 as ::ffff:a.b.c.d, host bits zero */
	uint8_t plen;	   /* 0..128, in IPv4-mapped space for IPv4 */
	bool exact;	   /* written without /len: beats every CIDR */
	unsigned int line; /* for the duplicate-selector message */
	struct identity id;
};

struct cgroup_rule {
	char *path; /* no trailing '/', except the root "/" */
	size_t len;
	unsigned int line;
	struct identity id;
};

struct identity_table {
	struct addr_rule *addrs;
	size_t naddrs, addrs_cap;
	struct cgroup_rule *cgroups;
	size_t ncgroups, cgroups_cap;
};

/* Where we are in the file, to build error messages. */
struct parse_ctx {
	const char *path;
	unsigned int line;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int bad_line(const struct parse_ctx *ctx,
							  const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ctx->err && ctx->errlen)
		snprintf(ctx->err, ctx->errlen, "identities %s:%u: %s; " IDENTITY_EXPECTED,
			 ctx->path, ctx->line, what);
	return -EINVAL;
}

static bool prefix_match(const uint8_t *a, const uint8_t *net, unsigned int plen)
{
	unsigned int bytes = plen / 8, bits = plen % 8;
	uint8_t mask;

	if (memcmp(a, net, bytes))
		return false;
	if (!bits)
		return true;
	mask = (uint8_t)(0xff << (8 - bits));
	return (a[bytes] & mask) == net[bytes];
}

static void mask_to_prefix(uint8_t *a, unsigned int plen)
{
	unsigned int i;

	for (i = plen; i < 128; i++)
		a[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
}

/* Strict decimal: no sign, no spaces, no empty string, at most 3 digits. */
static int parse_plen(const char *s, unsigned int max, unsigned int *out)
{
	unsigned int v = 0;
	size_t n = strlen(s);

	if (!n || n > 3 || strspn(s, "0123456789") != n)
		return -EINVAL;
	while (*s)
		v = v * 10 + (unsigned int)(*s++ - '0');
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Parses an address or CIDR selector into r (net, plen, exact). */
static int parse_addr_selector(const struct parse_ctx *ctx, const char *sel, struct addr_rule *r)
{
	char buf[INET6_ADDRSTRLEN + 8], text[INET6_ADDRSTRLEN];
	unsigned int plen = 128, max = 128, off = 0;
	char *slash;
	uint8_t orig[16];
	struct in_addr v4;

	if (strlen(sel) >= sizeof(buf))
		return bad_line(ctx, "bad address '%s'", sel);
	strcpy(buf, sel);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';

	memset(r->net, 0, sizeof(r->net));
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		r->net[10] = r->net[11] = 0xff;
		memcpy(&r->net[12], &v4, 4);
		max = 32;
		off = 96;
	} else if (inet_pton(AF_INET6, buf, r->net) != 1) {
		return bad_line(ctx, "bad address '%s' (not an IPv4 or IPv6 address)", buf);
	}

	r->exact = !slash;
	if (slash && parse_plen(slash, max, &plen))
		return bad_line(ctx, "bad prefix length '/%s' in '%s' (0..%u for IPv%c)", slash,
				sel, max, max == 32 ? '4' : '6');
	if (slash)
		plen += off;
	r->plen = (uint8_t)plen;

	/* 10.1.2.3/16 is almost always a typo for 10.1.0.0/16 or 10.1.2.3/32. */
	memcpy(orig, r->net, sizeof(orig));
	mask_to_prefix(r->net, plen);
	if (memcmp(orig, r->net, sizeof(orig))) {
		if (off)
			inet_ntop(AF_INET, &r->net[12], text, sizeof(text));
		else
			inet_ntop(AF_INET6, r->net, text, sizeof(text));
		return bad_line(ctx, "host bits set in '%s' (did you mean %s/%s?)", sel, text,
				slash);
	}
	return 0;
}

/* cgroup paths are compared as strings, so reject spellings that never match. */
static int parse_cgroup_selector(const struct parse_ctx *ctx, const char *sel, char **out)
{
	const char *p = sel + strlen("cgroup:");
	size_t len = strlen(p);

	if (p[0] != '/')
		return bad_line(ctx, "cgroup path in '%s' must start with '/'", sel);
	if (strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../") ||
	    (len >= 2 && !strcmp(p + len - 2, "/.")) || (len >= 3 && !strcmp(p + len - 3, "/..")))
		return bad_line(ctx, "cgroup path in '%s' has an empty, '.' or '..' component",
				sel);
	if (len > 1 && p[len - 1] == '/')
		len--;
	*out = strndup(p, len);
	return *out ? 0 : -ENOMEM;
}

static bool valid_value(const char *v)
{
	size_t n = strlen(v);

	return n >= 1 && n < IDENTITY_NAME_MAX &&
	       strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static int parse_pair(const struct parse_ctx *ctx, char *tok, struct identity *id)
{
	char *eq = strchr(tok, '='), *val, *field;

	if (!eq)
		return bad_line(ctx, "'%s' is not key=value", tok);
	*eq = '\0';
	val = eq + 1;
	if (!strcmp(tok, "workload"))
		field = id->workload;
	else if (!strcmp(tok, "namespace"))
		field = id->namespace_;
	else if (!strcmp(tok, "service"))
		field = id->service;
	else
		return bad_line(ctx, "unknown key '%s' (known: workload, namespace, service)", tok);
	if (field[0])
		return bad_line(ctx, "key '%s' given twice", tok);
	if (!valid_value(val))
		return bad_line(ctx, "bad value '%s' for %s (1..%d of A-Za-z0-9._-)", val, tok,
				IDENTITY_NAME_MAX - 1);
	strcpy(field, val);
	return 0;
}

/* Parses the key=value tokens left in the strtok_r state. */
static int parse_pairs(const struct parse_ctx *ctx, const char *sel, char **save,
		       struct identity *id)
{
	char *tok;
	int n = 0, err;

	memset(id, 0, sizeof(*id));
	while ((tok = strtok_r(NULL, TOKEN_SEPS, save))) {
		err = parse_pair(ctx, tok, id);
		if (err)
			return err;
		n++;
	}
	if (!n)
		return bad_line(ctx, "no key=value after '%s'", sel);
	return 0;
}

static void *grow(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return arr;
	p = realloc(arr, ncap * size);
	if (p)
		*cap = ncap;
	return p;
}

static int add_addr_rule(struct identity_table *t, const struct parse_ctx *ctx, const char *sel,
			 struct addr_rule *r)
{
	struct addr_rule *arr;
	size_t i;

	for (i = 0; i < t->naddrs; i++) {
		struct addr_rule *o = &t->addrs[i];

		if (o->exact == r->exact && o->plen == r->plen && !memcmp(o->net, r->net, 16))
			return bad_line(ctx, "duplicate selector '%s' (first on line %u)", sel,
					o->line);
	}
	arr = grow(t->addrs, &t->addrs_cap, t->naddrs, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	t->addrs = arr;
	t->addrs[t->naddrs++] = *r;
	return 0;
}

/* Takes ownership of r->path, also on error. */
static int add_cgroup_rule(struct identity_table *t, const struct parse_ctx *ctx, const char *sel,
			   struct cgroup_rule *r)
{
	struct cgroup_rule *arr;
	size_t i;

	for (i = 0; i < t->ncgroups; i++) {
		if (strcmp(t->cgroups[i].path, r->path))
			continue;
		free(r->path);
		return bad_line(ctx, "duplicate selector '%s' (first on line %u)", sel,
				t->cgroups[i].line);
	}
	arr = grow(t->cgroups, &t->cgroups_cap, t->ncgroups, sizeof(*arr));
	if (!arr) {
		free(r->path);
		return -ENOMEM;
	}
	t->cgroups = arr;
	r->len = strlen(r->path);
	t->cgroups[t->ncgroups++] = *r;
	return 0;
}

static int parse_line(struct identity_table *t, const struct parse_ctx *ctx, char *line)
{
	struct cgroup_rule cr = {.line = ctx->line};
	struct addr_rule ar = {.line = ctx->line};
	char *sel, *save, *hash;
	int err;

	hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	sel = strtok_r(line, TOKEN_SEPS, &save);
	if (!sel)
		return 0;
	if (!strncmp(sel, "cgroup:", strlen("cgroup:"))) {
		err = parse_cgroup_selector(ctx, sel, &cr.path);
		if (err)
			return err;
		err = parse_pairs(ctx, sel, &save, &cr.id);
		if (err) {
			free(cr.path);
			return err;
		}
		return add_cgroup_rule(t, ctx, sel, &cr);
	}
	if (strchr(sel, '='))
		return bad_line(ctx, "missing selector before '%s'", sel);
	err = parse_addr_selector(ctx, sel, &ar);
	if (!err)
		err = parse_pairs(ctx, sel, &save, &ar.id);
	if (!err)
		err = add_addr_rule(t, ctx, sel, &ar);
	return err;
}

static int parse_file(struct identity_table *t, FILE *f, struct parse_ctx *ctx)
{
	char *line = NULL;
	size_t cap = 0;
	int err = 0;

	errno = 0;
	while (getline(&line, &cap, f) >= 0) {
		ctx->line++;
		err = parse_line(t, ctx, line);
		if (err)
			goto out_free;
		errno = 0;
	}
	if (ferror(f)) {
		err = errno ? -errno : -EIO;
		if (ctx->err && ctx->errlen)
			snprintf(ctx->err, ctx->errlen,
				 "identities %s: read failed after line %u: %s", ctx->path,
				 ctx->line, strerror(-err));
	}
out_free:
	free(line);
	return err;
}

int identity_load(const char *path, struct identity_table **out, char *err, size_t errlen)
{
	struct parse_ctx ctx = {.path = path, .err = err, .errlen = errlen};
	struct identity_table *t;
	FILE *f;
	int ret;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		if (err && errlen)
			snprintf(err, errlen, "identities %s: cannot open: %s; check --identities",
				 path, strerror(-ret));
		return ret;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		ret = -ENOMEM;
		goto out_close;
	}
	ret = parse_file(t, f, &ctx);
	if (ret) {
		identity_free(t);
		goto out_close;
	}
	*out = t;
out_close:
	fclose(f);
	if (ret == -ENOMEM && err && errlen && !err[0])
		snprintf(err, errlen, "identities %s: out of memory", path);
	return ret;
}

const struct identity *identity_by_addr(const struct identity_table *t, const uint8_t addr[16])
{
	const struct identity *best = NULL;
	int best_rank = -1, rank;
	size_t i;

	for (i = 0; i < t->naddrs; i++) {
		const struct addr_rule *r = &t->addrs[i];

		if (!prefix_match(addr, r->net, r->plen))
			continue;
		/* 129 puts an exact address above even a /128 (or IPv4 /32) CIDR. */
		rank = r->exact ? 129 : r->plen;
		if (rank > best_rank) {
			best_rank = rank;
			best = &r->id;
		}
	}
	return best;
}

/* True when rule covers path: equal, or an ancestor on a '/' boundary. */
static bool cgroup_covers(const struct cgroup_rule *r, const char *path)
{
	if (r->len == 1)
		return path[0] == '/';
	return !strncmp(path, r->path, r->len) && (path[r->len] == '\0' || path[r->len] == '/');
}

const struct identity *identity_by_cgroup(const struct identity_table *t, const char *cgroup_path)
{
	const struct cgroup_rule *best = NULL;
	size_t i;

	for (i = 0; i < t->ncgroups; i++) {
		const struct cgroup_rule *r = &t->cgroups[i];

		if (cgroup_covers(r, cgroup_path) && (!best || r->len > best->len))
			best = r;
	}
	return best ? &best->id : NULL;
}

size_t identity_count(const struct identity_table *t)
{
	return t->naddrs + t->ncgroups;
}

void identity_free(struct identity_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->ncgroups; i++)
		free(t->cgroups[i].path);
	free(t->cgroups);
	free(t->addrs);
	free(t);
}
