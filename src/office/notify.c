/* notify — see notify.h; docs/BOOKING.md "Senders". */
#include "office/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/fs.h"

#define SECRET_MAX 4096

struct notify {
	struct config_confirmation cfg;
	char spool_dir[CONFIG_PATH_MAX + 1];
	char smtp_ca[CONFIG_PATH_MAX + 1], http_ca[CONFIG_PATH_MAX + 1];
	char *smtp_password; /* sodium_malloc, NUL-terminated; NULL: no AUTH */
	char *http_token;    /* sodium_malloc; NULL: no Authorization header */
	int curl_ready;
};

static int sender(const struct notify *n, enum notify_channel ch)
{
	if (!n || !n->cfg.configured)
		return CONFIG_SENDER_NONE;
	return ch == NOTIFY_EMAIL ? n->cfg.email_sender : n->cfg.phone_sender;
}

int notify_can(const struct notify *n, enum notify_channel ch)
{
	return sender(n, ch) != CONFIG_SENDER_NONE;
}

const char *notify_sender_name(const struct notify *n, enum notify_channel ch)
{
	switch (sender(n, ch)) {
	case CONFIG_SENDER_SPOOL: return "spool";
	case CONFIG_SENDER_SMTP: return "smtp";
	case CONFIG_SENDER_HTTP: return "http";
	default: return "none";
	}
}

/* Reads a one-line secret file into sodium_malloc memory (trailing newlines cut). */
static int read_secret(const char *dir, const char *path, const char *what, char **out,
		       struct err *e)
{
	char full[CONFIG_PATH_MAX + 1];
	if (config_resolve_path(dir, path, full, sizeof full, e) < 0)
		return -1;
	struct buf b;
	buf_init(&b, SECRET_MAX);
	if (fs_read_file(full, &b, e) < 0) {
		buf_release(&b);
		err_prefix(e, "confirmation.%s: ", what);
		e->code = ERR_INPUT;
		return -1;
	}
	size_t len = b.len;
	while (len > 0 && (b.data[len - 1] == '\n' || b.data[len - 1] == '\r'))
		len--;
	int rc = 0;
	if (len == 0 || memchr(b.data, '\n', len) || memchr(b.data, '\r', len) ||
	    memchr(b.data, '\0', len)) {
		rc = err_set(e, ERR_INPUT, "confirmation.%s: '%s' must hold one non-empty line",
			     what, full);
	} else if (!(*out = sodium_malloc(len + 1))) {
		rc = err_nomem(e);
	} else {
		memcpy(*out, b.data, len);
		(*out)[len] = '\0';
	}
	buf_release_wiped(&b);
	return rc;
}

static void free_secret(char **s)
{
	if (*s)
		sodium_free(*s); /* wipes */
	*s = NULL;
}

int notify_open(struct notify **out, const struct config_confirmation *c, const char *dir,
		struct err *e)
{
	*out = NULL;
	struct notify *n = mem_calloc(1, sizeof *n);
	if (!n)
		return err_nomem(e);
	n->cfg = *c;
	if (!c->configured) {
		*out = n;
		return 0;
	}
	int uses_curl = c->email_sender == CONFIG_SENDER_SMTP ||
			c->phone_sender == CONFIG_SENDER_HTTP;
	if (uses_curl) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			mem_free(n);
			return err_set(e, ERR_IO, "cannot initialise libcurl");
		}
		n->curl_ready = 1;
	}
	if (c->spool_dir[0] &&
	    (config_resolve_path(dir, c->spool_dir, n->spool_dir, sizeof n->spool_dir, e) < 0 ||
	     ((c->email_sender == CONFIG_SENDER_SPOOL || c->phone_sender == CONFIG_SENDER_SPOOL) &&
	      fs_mkdir(n->spool_dir, 0700, e) < 0)))
		goto fail;
	if (c->email_sender == CONFIG_SENDER_SMTP) {
		if (c->smtp_password_file[0] &&
		    read_secret(dir, c->smtp_password_file, "smtp_password_file",
				&n->smtp_password, e) < 0)
			goto fail;
		if (c->smtp_ca_file[0] &&
		    config_resolve_path(dir, c->smtp_ca_file, n->smtp_ca, sizeof n->smtp_ca, e) < 0)
			goto fail;
	}
	if (c->phone_sender == CONFIG_SENDER_HTTP) {
		if (c->http_token_file[0] &&
		    read_secret(dir, c->http_token_file, "http_token_file", &n->http_token, e) < 0)
			goto fail;
		if (c->http_ca_file[0] &&
		    config_resolve_path(dir, c->http_ca_file, n->http_ca, sizeof n->http_ca, e) < 0)
			goto fail;
	}
	*out = n;
	return 0;
fail:
	notify_close(n);
	return -1;
}

void notify_close(struct notify *n)
{
	if (!n)
		return;
	free_secret(&n->smtp_password);
	free_secret(&n->http_token);
	if (n->curl_ready)
		curl_global_cleanup();
	mem_free(n);
}

/* ---------------------------------------------------------------- spool */

static int ref_ok(const char *ref)
{
	size_t len = ref ? strlen(ref) : 0;
	return len >= 1 && len <= 64 &&
	       strspn(ref, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

static int send_spool(struct notify *n, const struct notify_msg *m, struct err *e)
{
	char name[80];
	snprintf(name, sizeof name, "%s.txt", m->ref);
	char *path = fs_join(n->spool_dir, name);
	struct buf b;
	buf_init(&b, 64 * 1024);
	int rc = -1;
	if (!path) {
		err_nomem(e);
		goto out;
	}
	buf_addf(&b, "Channel: %s\nTo: %s\n", m->channel == NOTIFY_EMAIL ? "email" : "phone",
		 m->to);
	if (m->channel == NOTIFY_EMAIL && m->subject)
		buf_addf(&b, "Subject: %s\n", m->subject);
	buf_addf(&b, "\n%s\n", m->text);
	if (!buf_ok(&b)) {
		err_nomem(e);
		goto out;
	}
	/* a new file, never one that exists; not synced: the demo's sender, nothing waits
	 * for it across a crash (an applicant asks for a new code) */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err_errno(e, ERR_IO, "spool sender: cannot create '%s'", name);
		goto out;
	}
	size_t off = 0;
	while (off < b.len) {
		ssize_t w = write(fd, b.data + off, b.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err_errno(e, ERR_IO, "spool sender: cannot write '%s'", name);
			close(fd);
			unlink(path);
			goto out;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0) {
		err_errno(e, ERR_IO, "spool sender: cannot write '%s'", name);
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	buf_release_wiped(&b);
	mem_free(path);
	return rc;
}

/* ---------------------------------------------------------------- libcurl */

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb < u->left ? size * nmemb : u->left;
	memcpy(dst, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

static size_t discard_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	(void)p;
	(void)arg;
	return size * nmemb;
}

static void common_opts(struct notify *n, CURL *c, const char *url, const char *ca)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)n->cfg.send_timeout_seconds);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)n->cfg.send_timeout_seconds);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca && ca[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
}

/* An RFC 5322 message: CRLF line ends, the text's lines as they are. */
static int smtp_message(struct notify *n, const struct notify_msg *m, struct buf *b)
{
	char date[64], id[48];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	uint8_t rnd[12];
	randombytes_buf(rnd, sizeof rnd);
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	const char *at = strchr(n->cfg.smtp_from, '@');
	buf_addf(b, "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n"
		 "Message-ID: <%s%s>\r\nMIME-Version: 1.0\r\n"
		 "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		 date, n->cfg.smtp_from, m->to, m->subject ? m->subject : "Paspor", id,
		 at ? at : "@paspor.invalid");
	for (const char *p = m->text; *p; p++) {
		if (*p == '\n')
			buf_addstr(b, "\r\n");
		else if (*p != '\r')
			buf_addch(b, (uint8_t)*p);
	}
	buf_addstr(b, "\r\n");
	return buf_ok(b) ? 0 : -1;
}

static int send_smtp(struct notify *n, const struct notify_msg *m, struct err *e)
{
	CURL *c = curl_easy_init();
	if (!c)
		return err_set(e, ERR_IO, "smtp sender: cannot make a curl handle");
	struct buf msg;
	buf_init(&msg, 64 * 1024);
	char from[340], to[340];
	snprintf(from, sizeof from, "<%s>", n->cfg.smtp_from);
	snprintf(to, sizeof to, "<%s>", m->to);
	struct curl_slist *rcpt = curl_slist_append(NULL, to);
	int rc = -1;
	if (!rcpt || smtp_message(n, m, &msg) < 0) {
		err_nomem(e);
		goto out;
	}
	struct upload up = { (const char *)msg.data, msg.len };
	common_opts(n, c, n->cfg.smtp_url, n->smtp_ca);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, n->cfg.smtp_tls == CONFIG_SMTP_TLS_NONE
						     ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	if (n->smtp_password) {
		curl_easy_setopt(c, CURLOPT_USERNAME, n->cfg.smtp_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, n->smtp_password);
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	CURLcode cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		long code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code)
			err_set(e, ERR_IO, "smtp sender: %s (server answered %ld)",
				curl_easy_strerror(cc), code);
		else
			err_set(e, ERR_IO, "smtp sender: %s", curl_easy_strerror(cc));
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(rcpt);
	buf_release_wiped(&msg);
	curl_easy_cleanup(c);
	return rc;
}

static int send_http(struct notify *n, const struct notify_msg *m, struct err *e)
{
	CURL *c = curl_easy_init();
	if (!c)
		return err_set(e, ERR_IO, "http sender: cannot make a curl handle");
	char *body = NULL, *auth = NULL;
	struct curl_slist *h = NULL;
	int rc = -1;
	json_t *j = json_pack("{s:s, s:s, s:s}", "to", m->to, "text", m->text, "reference",
			      m->ref);
	body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!body) {
		err_nomem(e);
		goto out;
	}
	h = curl_slist_append(NULL, "Content-Type: application/json");
	if (h && n->http_token) {
		size_t len = strlen(n->http_token) + sizeof "Authorization: Bearer ";
		auth = sodium_malloc(len);
		if (!auth) {
			err_nomem(e);
			goto out;
		}
		snprintf(auth, len, "Authorization: Bearer %s", n->http_token);
		if (!curl_slist_append(h, auth)) { /* h stays valid */
			err_nomem(e);
			goto out;
		}
	}
	if (!h) {
		err_nomem(e);
		goto out;
	}
	common_opts(n, c, n->cfg.http_url, n->http_ca);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	CURLcode cc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (cc != CURLE_OK) {
		err_set(e, ERR_IO, "http sender: %s", curl_easy_strerror(cc));
		goto out;
	}
	if (code < 200 || code > 299) {
		err_set(e, ERR_IO, "http sender: the gateway answered %ld", code);
		goto out;
	}
	rc = 0;
out:
	for (struct curl_slist *p = h; p; p = p->next)
		sodium_memzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
	if (auth)
		sodium_free(auth);
	if (body) {
		sodium_memzero(body, strlen(body));
		mem_free(body); /* jansson allocates through util/alloc.h (canon_init) */
	}
	curl_easy_cleanup(c);
	return rc;
}

int notify_send(struct notify *n, const struct notify_msg *m, struct err *e)
{
	if (!ref_ok(m->ref))
		return err_set(e, ERR_INPUT, "notify: malformed message reference");
	switch (sender(n, m->channel)) {
	case CONFIG_SENDER_SPOOL: return send_spool(n, m, e);
	case CONFIG_SENDER_SMTP: return send_smtp(n, m, e);
	case CONFIG_SENDER_HTTP: return send_http(n, m, e);
	default:
		return err_set(e, ERR_INPUT, "no sender is configured for %s",
			       m->channel == NOTIFY_EMAIL ? "e-mail" : "phone");
	}
}
