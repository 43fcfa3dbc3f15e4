/* Shared test data: see fixtures.h. */
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <sodium.h>
#include <sqlite3.h>

#include "harness.h"
#include "log/kinds.h"

unsigned char *test_jpeg(unsigned w, unsigned h, int components, int quality,
			 unsigned long *len)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	unsigned char *out = NULL;
	*len = 0;
	jpeg_mem_dest(&c, &out, len);
	c.image_width = w;
	c.image_height = h;
	c.input_components = components;
	c.in_color_space = components == 3 ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	unsigned char *row = malloc((size_t)w * 3);
	unsigned seed = 12345;
	while (c.next_scanline < h) {
		unsigned y = c.next_scanline;
		for (unsigned x = 0; x < w; x++) {
			seed = seed * 1103515245u + 12345u;
			unsigned n = (seed >> 16) & 31;
			/* a face-like blob on a gradient, plus noise */
			int dx = (int)x - (int)w / 2, dy = (int)y - (int)h * 2 / 5;
			int in = dx * dx * 4 + dy * dy * 3 < (int)(w * w) / 2;
			unsigned char r = (unsigned char)(in ? 200 + n : (x * 255 / w));
			if (components == 1) {
				row[x] = r;
				continue;
			}
			row[3 * x] = r;
			row[3 * x + 1] = (unsigned char)(in ? 160 + n : (y * 255 / h));
			row[3 * x + 2] = (unsigned char)(in ? 120 + n : 128 + n * 2);
		}
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(row);
	return out;
}

int test_node_start(struct test_node *t)
{
	struct err e = ERR_INIT;
	memset(t, 0, sizeof *t);
	snprintf(t->dir, sizeof t->dir, "%s/node", test_tmpdir());
	snprintf(t->kek_path, sizeof t->kek_path, "%s/kek", test_tmpdir());
	t->kek.key_file = t->kek_path;
	struct node_opts o = { .kek = &t->kek };
	if (keys_make_kek_file(t->kek_path, &e) < 0 ||
	    node_create(t->dir, "kanim-test.imigrasi.go.id", "Kanim Test", &t->kek, &e) < 0 ||
	    node_open(&t->node, t->dir, &o, &e) < 0 || writer_start(&t->wr, &t->node, &e) < 0) {
		fprintf(stderr, "test node: %s\n", e.msg);
		return -1;
	}
	return 0;
}

void test_node_stop(struct test_node *t)
{
	writer_stop(t->wr);
	t->wr = NULL;
	node_close(&t->node);
}

int test_projection_digest(sqlite3 *db, unsigned char out[32])
{
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	for (size_t i = 0; kinds_table_name(i); i++) {
		const char *t = kinds_table_name(i);
		char sql[256];
		snprintf(sql, sizeof sql, "SELECT * FROM %s", t);
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			return -1;
		int n = sqlite3_column_count(st);
		sqlite3_finalize(st);
		int len = snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY 1", t);
		for (int c = 2; c <= n; c++)
			len += snprintf(sql + len, sizeof sql - (size_t)len, ", %d", c);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			return -1;
		crypto_hash_sha256_update(&h, (const unsigned char *)t, strlen(t) + 1);
		while (sqlite3_step(st) == SQLITE_ROW)
			for (int c = 0; c < n; c++) {
				const unsigned char *v = sqlite3_column_text(st, c);
				int type = sqlite3_column_type(st, c);
				crypto_hash_sha256_update(&h, (const unsigned char *)&type, sizeof type);
				if (v)
					crypto_hash_sha256_update(&h, v, strlen((const char *)v) + 1);
			}
		sqlite3_finalize(st);
	}
	crypto_hash_sha256_final(&h, out);
	return 0;
}

int test_count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return n;
}
