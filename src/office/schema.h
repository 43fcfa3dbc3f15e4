/*
 * schema — the table-driven check of a JSON object's fields that the office's event
 * kinds use (docs/EVENTS.md §5): each kind's body is a struct schema (its fields with
 * type, required or not, bounds or enumeration, and an optional cross-field rule), and
 * schema_check is the kind_def.check of every such kind, with the schema as its context
 * (log/kinds.h). A body passes when every required field is there, every field present
 * has its type and bounds, no other key is present, and the extra rule holds.
 *
 * Messages name the kind and the field, never a value: "<kind>: field 'x' must be …".
 * Errors: ERR_INPUT for a body that does not fit; ERR_INTERNAL for a field without a type.
 *
 * Kinds that came before this machinery keep their first messages (a replay of a
 * corrupted log refuses it with the same words): a field row may carry its own words
 * (`why`: "<kind>: field 'x' <why>" whatever failed), a field of a rule only its module
 * knows has its own check (T_FN), and a schema may name the unknown key its own way
 * (`unknown`) or refuse a body that does not hold exactly its fields first (`exact`).
 *
 * The same machinery checks the bodies of the HTTP API's write operations (office/ops.h)
 * in the API's style (schema_check_as with SCHEMA_API): the messages are the API's
 * ("field 'x' is missing", without the kind), an unknown key is refused before any field
 * is read, and null reads as absent in the API's field types (T_STR … T_ANY below), which
 * keep the rules the API has always had (a string's bound is in bytes, as api_str's).
 */
#ifndef PASPOR_OFFICE_SCHEMA_H
#define PASPOR_OFFICE_SCHEMA_H

#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

enum ftype {
	T_TEXT,   /* one line: min..max characters, no control characters */
	T_NOTE,   /* text with line breaks allowed */
	T_ENUM,   /* one of `enums` */
	T_DATE,   /* YYYY-MM-DD, a real date */
	T_TIME,   /* HH:MM, 00:00 … 23:59 */
	T_APP,    /* an application id */
	T_WID,    /* a watchlist entry id */
	T_HEX64,  /* 64 lower-case hex characters (blob names, code hashes) */
	T_IDREF,  /* 16 digits, or nik.h's identity reference X-<type>-<state>-<number> */
	T_INT,    /* integer min..max */
	T_INT_OR_NULL,
	T_TEXTS,  /* array of min..max T_TEXT-like strings (1..500 characters each) */
	T_WIDS,   /* array of 0..max watchlist entry ids */
	T_DOCS,   /* the documents object */
	T_EMAIL,
	T_PHONE,
	T_CODE,   /* [a-z0-9-], 1..max: passport type codes */
	T_BOOKLET,/* a booklet (passport) number: one upper-case letter, seven digits */
	T_MRZ,    /* the two TD3 lines without a newline: 88 of A-Z 0-9 < */
	T_PRINCIPAL, /* an event principal: fields.h's "officer:<username>" or "cli:<user>" */
	T_HOLD,   /* a booking hold id */
	T_BYTES,  /* a string of 1..max bytes, nothing more (the officers' fields) */
	T_FN,     /* the field row's own check (a rule of one module) */
	/* the HTTP API's request fields (as api.h's api_str and api_int read them) */
	T_STR,    /* 1..max bytes, valid UTF-8, no control but line break or tab, no format
		   * character */
	T_CHOICE, /* a T_STR that is one of `enums`; hint: what the message says it must be */
	T_INT64,  /* integer min..max */
	T_ARRAY,  /* array of min..max items (the event's schema checks them); missing or not
		   * an array: one message */
	T_OBJECT, /* an object; hint: its shape for the message ("{status, note}") */
	T_BOOL,   /* true or false; missing or not: one message, hint its end */
	T_ANY,    /* any value: the operation reads and checks it (nik/identity pairs) */
};

struct field {
	const char *name;
	enum ftype type;
	int required;
	long long min, max;
	const char *const *enums;
	const char *hint;  /* T_CHOICE, T_OBJECT: words for the message, or NULL */
	const char *why;   /* or NULL: every refusal of the value reads "field 'x' <why>" */
	/* T_FN: checks present value v, refusing it (ERR_INPUT) with a message that starts
	 * with pfx ("<kind>: " for an event) */
	int (*check)(const char *pfx, const struct field *f, const json_t *v, struct err *e);
};

struct schema {
	const char *kind;            /* named in messages */
	const struct field *fields;
	size_t nfields;
	int (*extra)(const json_t *body, struct err *e); /* cross-field rules, or NULL */
	/* SCHEMA_EVENT: the refusal of a key no field names, "<kind>: <unknown>" (NULL:
	 * "unknown field '<key>'"); with exact, a body that is not an object of exactly
	 * nfields keys is refused so before any field is read */
	const char *unknown;
	int exact;
};

/* Field rows: required / optional with bounds (characters, items or integer range,
 * as the type reads them), or a required enumeration (a NULL-terminated list). */
#define REQ(n, t, lo, hi) { n, t, 1, lo, hi, NULL, NULL, NULL, NULL }
#define OPT(n, t, lo, hi) { n, t, 0, lo, hi, NULL, NULL, NULL, NULL }
#define REQ_ENUM(n, list) { n, T_ENUM, 1, 0, 0, list, NULL, NULL, NULL }
/* API fields: a required choice among list (hint: "approve or reject"), an object whose
 * shape the message names */
#define REQ_CHOICE(n, max, list, hint) { n, T_CHOICE, 1, 1, max, list, hint, NULL, NULL }
#define REQ_OBJECT(n, hint) { n, T_OBJECT, 1, 0, 0, NULL, hint, NULL, NULL }
#define REQ_BOOL(n, hint) { n, T_BOOL, 1, 0, 0, NULL, hint, NULL, NULL }
/* A field (required or not) refused in its own words (why), whatever failed; a required
 * field with its own check. */
#define FIELD_WHY(n, t, req, lo, hi, list, why) { n, t, req, lo, hi, list, NULL, why, NULL }
#define REQ_FN(n, fn) { n, T_FN, 1, 0, 0, NULL, NULL, NULL, fn }
/* A struct schema of kind with the field array f (not a pointer) and its extra rule;
 * SCHEMA_OWN also with its own words for an unknown key and exact (above). */
#define SCHEMA(kind, f, x) { kind, f, sizeof f / sizeof f[0], x, NULL, 0 }
#define SCHEMA_OWN(kind, f, x, unknown, exact) \
	{ kind, f, sizeof f / sizeof f[0], x, unknown, exact }

#define SCHEMA_DIGITS "0123456789"
#define SCHEMA_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* The documents a T_DOCS object holds, NULL-terminated. */
extern const char *const schema_doc_names[];

/* Checks body against the struct schema at ctx (a kind_def.check): SCHEMA_EVENT. */
int schema_check(const void *ctx, const json_t *body, struct err *e);

/* Whose texts and rules: an event's ("<kind>: field 'x' …", unknown keys last) or the
 * HTTP API's ("field 'x' …", unknown keys first, null is absent). */
enum schema_style { SCHEMA_EVENT, SCHEMA_API };
int schema_check_as(const struct schema *s, const json_t *body, enum schema_style style,
		    struct err *e);
/* One present value v against its field row (kind: for SCHEMA_EVENT's messages). */
int schema_field_check(const struct field *f, const json_t *v, enum schema_style style,
		       const char *kind, struct err *e);
/* The refusal of a key no field names (always -1): the API names it only when it looks
 * like a name ("field 'x' is not allowed here"). */
int schema_unknown_key(const char *key, enum schema_style style, const char *kind,
		       struct err *e);

/* 1 when s (NULL: 0) is min…max bytes, all from set. */
int schema_chars_in(const char *s, const char *set, size_t min, size_t max);

#endif
