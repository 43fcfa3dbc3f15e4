/*
 * config — the office configuration, DIR/paspor.conf (docs/CONFIG.md).
 *
 * The file is libconfig syntax. config_load reads and checks it whole: every problem is
 * reported, not just the first, one line each, as
 *     FILE:LINE: SETTING.PATH: what is wrong
 * (a missing setting is reported at the line of its enclosing group, or without a line
 * when it belongs at the top level). Unknown settings are errors, so a typo is never
 * silently ignored. A syntax error stops libconfig at the first one; it is reported the
 * same way. "@include" is refused: the configuration is one file.
 *
 * The result is a plain struct config with no pointers: copy it freely, nothing to
 * release. Library code only; the `paspor office config --check` command prints the
 * problems.
 *
 * config_write_default writes a commented default file that checks OK, for
 * `paspor office init`.
 *
 * Errors: config_load returns -1 with e set (ERR_INPUT: the configuration is invalid,
 * the message is the first problem and says how many there are; ERR_IO: the file cannot
 * be read) and, when problems is not NULL, every problem appended to it, each line ending
 * in '\n'.
 */
#ifndef PASPOR_OFFICE_CONFIG_H
#define PASPOR_OFFICE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "office/calendar.h"
#include "util/buf.h"
#include "util/err.h"

#define CONFIG_FILE_NAME "paspor.conf"
#define CONFIG_MAX_SLOTS 48
#define CONFIG_MAX_HOLIDAYS 400
#define CONFIG_MAX_PASSPORT_TYPES 8
#define CONFIG_MAX_FILE_SIZE (256 * 1024)
#define CONFIG_PATH_MAX 512
#define CONFIG_PRINT_ARGS_MAX 16

struct config_slot {
	int start_min, end_min; /* local minutes of the day, start < end */
	unsigned quota;         /* bookings per day in this slot */
};

struct config_passport_type {
	char code[33];       /* e.g. "ordinary-48": [a-z0-9-], unique */
	char name[129];      /* shown to applicants */
	int electronic;      /* 1: e-passport with a chip */
	int64_t fee;         /* integer minor units of config.currency */
};

/* A tariff of fees.tariffs: the fee of a passport type and service from a date on (the
 * latest entry whose date is not after the billing date is in force). */
#define CONFIG_MAX_TARIFFS 64
struct config_tariff {
	char type[33];         /* a passport type's code */
	char service[33];      /* [a-z0-9-]: "regular", "express", … */
	struct cal_date from;  /* in force from this date */
	int64_t fee;           /* integer minor units of config.currency */
};

struct config_ratelimit {
	unsigned booking_per_ip_per_minute;
	unsigned booking_per_nik_per_day;
	unsigned status_per_ip_per_minute;
	unsigned table_entries; /* keys remembered per limiter (bounded memory) */
	int disabled;           /* see config_ratelimits_lifted */
};

struct config {
	/* office */
	char office_code[33]; /* [A-Z0-9-], 2..32 */
	char office_name[129];
	char timezone[64];    /* IANA name, checked to exist */
	int consular_post;    /* 1: a post abroad (applicants without a NIK may book) */
	/* booking */
	unsigned days_ahead;  /* how far ahead a day may be booked */
	/* calendar */
	struct config_slot slots[CONFIG_MAX_SLOTS];
	size_t nslots;
	unsigned working_days; /* bit w set: weekday w (0 = Sunday) is a working day */
	struct cal_date holidays[CONFIG_MAX_HOLIDAYS]; /* sorted, unique */
	size_t nholidays;
	/* fees */
	char currency[4];      /* ISO 4217 alphabetic code */
	struct config_passport_type types[CONFIG_MAX_PASSPORT_TYPES];
	size_t ntypes;
	struct config_tariff tariffs[CONFIG_MAX_TARIFFS]; /* optional: fees.tariffs */
	size_t ntariffs;
	/* validity */
	unsigned adult_age;    /* age (years) from which adult_years applies */
	unsigned adult_years, minor_years;
	/* payment */
	int personalize_on_pending; /* 1: may personalize before payment is confirmed */
	struct config_ratelimit ratelimit;
	/* issuance (optional section; issuance.configured 0 when absent: personalization
	 * is then refused with "not configured") */
	struct config_issuance {
		int configured;
		char issuing_state[4];              /* ICAO code in the MRZ, e.g. "IDN" */
		char signer_socket[CONFIG_PATH_MAX]; /* relative paths: to the data dir */
		char csca_cert[CONFIG_PATH_MAX];    /* PEM, for the quality check */
		char spool_dir[CONFIG_PATH_MAX];    /* print jobs (docs/SPOOL.md) */
		unsigned uncollected_days;          /* listed for follow-up after this */
		char print_args[CONFIG_PRINT_ARGS_MAX][CONFIG_PATH_MAX]; /* PDF path appended */
		size_t nprint_args;                 /* 0: no print command */
	} issuance;
	/* confirmation (optional section; confirmation.configured 0 when absent: online
	 * booking then answers 503 "not configured"). A public booking holds its slot only
	 * once the applicant enters the code sent to their phone or e-mail (docs/BOOKING.md
	 * "Confirming a booking"). */
	struct config_confirmation {
		int configured;
		unsigned hold_seconds;           /* an unconfirmed hold expires after this */
		unsigned code_digits;            /* 6…9 */
		unsigned code_attempts;          /* wrong codes before the hold ends */
		unsigned resend_seconds;         /* at least this between two codes of a hold */
		unsigned pending_per_slot;       /* unconfirmed holds at once in one slot */
		unsigned active_per_phone;       /* pending + booked per phone number */
		unsigned active_per_email;       /* pending + booked per e-mail address */
		unsigned codes_per_contact_per_day; /* codes sent to one phone/e-mail in 24 h */
		unsigned codes_per_day;          /* codes sent by the office in 24 h */
		int email_sender, phone_sender;  /* enum config_sender */
		char spool_dir[CONFIG_PATH_MAX]; /* sender "spool": one file per message */
		unsigned send_timeout_seconds;
		char smtp_url[CONFIG_PATH_MAX];  /* smtp://host:port or smtps://host:port */
		char smtp_from[321];
		char smtp_user[129];             /* "" with no password file: no AUTH */
		char smtp_password_file[CONFIG_PATH_MAX];
		int smtp_tls;                    /* enum config_smtp_tls */
		char smtp_ca_file[CONFIG_PATH_MAX]; /* "": the system's CAs */
		char http_url[CONFIG_PATH_MAX];  /* the gateway: POST JSON */
		char http_token_file[CONFIG_PATH_MAX]; /* "": no Authorization header */
		char http_ca_file[CONFIG_PATH_MAX];
	} confirmation;
};

/*
 * The fee in force for passport type `type` and `service` on date `on` (the billing
 * code's date): the fees.tariffs entry for that type and service with the latest `from`
 * not after `on`; without one, service "regular" is the type's `fee` (at any date).
 * 0 and *fee set, or -1 when the type is unknown or no tariff of that service is in
 * force on that date.
 */
int config_tariff_fee(const struct config *c, const char *type, const char *service,
		      const struct cal_date *on, int64_t *fee);
/* Who sends a confirmation code on a channel. */
enum config_sender { CONFIG_SENDER_NONE = 0, CONFIG_SENDER_SPOOL, CONFIG_SENDER_SMTP,
		     CONFIG_SENDER_HTTP };
/* SMTP transport security: TLS from the start (smtps://), STARTTLS required, or none
 * (allowed only for a relay on the loopback address). */
enum config_smtp_tls { CONFIG_SMTP_TLS_IMPLICIT = 0, CONFIG_SMTP_TLS_STARTTLS,
		       CONFIG_SMTP_TLS_NONE };
/* 1 when url's host is 127.0.0.1, ::1 or localhost (plain text is allowed there). */
int config_url_is_loopback(const char *url);

/* Reads and checks path (whose base name is used in messages). */
int config_load(const char *path, struct config *c, struct buf *problems, struct err *e);
/* As config_load for text already in memory; name is used in messages. */
int config_parse(const char *text, size_t len, const char *name, struct config *c,
		 struct buf *problems, struct err *e);

/* DIR/paspor.conf: a new string (mem_free it), NULL when out of memory. */
char *config_path(const char *dir);

/* The default configuration's text for an office (name NULL: origin); buf appended. */
int config_default_text(struct buf *out, const char *origin, const char *name,
			struct err *e);
/* Writes DIR/paspor.conf (mode 0640) with the default text; fails if it exists. */
int config_write_default(const char *dir, const char *origin, const char *name,
			 struct err *e);

/* The environment variable that, set to "1", lets ratelimit.disabled take effect. */
#define CONFIG_LOAD_TEST_ENV "PASPOR_LOAD_TEST"

/*
 * 1 when the rate limits are lifted: ratelimit.disabled = true AND (load_test_flag, or
 * the environment variable CONFIG_LOAD_TEST_ENV is "1"). The server must log this loudly
 * at start. ratelimit.disabled alone has no effect (config --check warns about it).
 */
int config_ratelimits_lifted(const struct config *c, int load_test_flag);

/* The passport type with this code, or NULL. */
const struct config_passport_type *config_passport_type(const struct config *c,
							const char *code);
/* DIR-relative path resolution for config paths: path itself when absolute, else
 * "DIR/path"; ERR_INPUT when it does not fit out. */
int config_resolve_path(const char *dir, const char *path, char *out, size_t size,
			struct err *e);

/* Validity in years for a person of age `age_years` at issuance. */
unsigned config_validity_years(const struct config *c, unsigned age_years);

#endif
