/*
 * fixtures — test data that several unit-test files need, made one way.
 *
 * test_jpeg: a synthetic w × h JPEG (no person in it) written by libjpeg into a
 * malloc'd buffer (free it with free()): a face-like oval on a gradient with noise, so
 * that it compresses like a photo rather than a flat image. components 3 (RGB) or 1
 * (grey); quality 1..100 as libjpeg's.
 */
#ifndef PASPOR_TESTS_FIXTURES_H
#define PASPOR_TESTS_FIXTURES_H

unsigned char *test_jpeg(unsigned w, unsigned h, int components, int quality,
			 unsigned long *len);

#endif
