/* File and bytes values (value/blob.c): borrowed vs copied bytes, MIME types checked and stored
 * lower-case, files read from disk whole (also across the reader's buffer growth), and each
 * refusal with its code and the words that say what to fix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_assert.h"

#include "value/value_internal.h"

static void expect_invalid(bg_value *v, const bg_error *err, const char *message) {
  assert_null(v);
  assert_int_equal(err->code, BG_ERR_INVALID_ARGUMENT);
  assert_string_equal(err->message, message);
}

static void test_borrow_keeps_the_callers_bytes(void **state) {
  (void)state;
  uint8_t data[4] = {1, 2, 3, 4};
  bg_error err;
  bg_value *v = bg_file_borrow(data, sizeof data, "Image/PNG", &err);
  assert_non_null(v);
  assert_int_equal(bg_value_get_kind(v), BG_VALUE_FILE);
  assert_ptr_equal(bg_file_data(v), data);
  assert_int_equal(bg_file_size(v), 4);
  assert_string_equal(bg_file_mime(v), "image/png"); /* lower-case, as BentoML compares */
  data[0] = 9;                                       /* borrowed: the change shows */
  assert_int_equal(((const uint8_t *)bg_file_data(v))[0], 9);
  bg_value_free(v); /* leaves the caller's bytes alone */

  v = bg_bytes_borrow(data, 2, &err);
  assert_non_null(v);
  assert_ptr_equal(bg_bytes_data(v), data);
  assert_int_equal(bg_bytes_size(v), 2);
  bg_value_free(v);
}

static void test_copy_owns_its_bytes(void **state) {
  (void)state;
  uint8_t data[3] = {7, 8, 9};
  bg_error err;
  bg_value *f = bg_file_copy(data, sizeof data, NULL, &err);
  bg_value *b = bg_bytes_copy(data, sizeof data, &err);
  assert_non_null(f);
  assert_non_null(b);
  data[0] = 0;
  assert_ptr_not_equal(bg_file_data(f), data);
  assert_memory_equal(bg_file_data(f), "\x07\x08\x09", 3);
  assert_memory_equal(bg_bytes_data(b), "\x07\x08\x09", 3);
  assert_null(bg_file_mime(f)); /* NULL: no MIME type */
  bg_value_free(f);
  bg_value_free(b);

  /* empty: NULL data is fine when the size is 0 */
  f = bg_file_copy(NULL, 0, "text/plain", &err);
  assert_non_null(f);
  assert_int_equal(bg_file_size(f), 0);
  assert_string_equal(bg_file_mime(f), "text/plain");
  bg_value_free(f);
  b = bg_bytes_copy(NULL, 0, &err);
  assert_non_null(b);
  assert_int_equal(bg_bytes_size(b), 0);
  bg_value_free(b);
  b = bg_bytes_borrow(NULL, 0, NULL); /* err may be NULL */
  assert_non_null(b);
  bg_value_free(b);
}

static void test_null_data_with_a_size(void **state) {
  (void)state;
  bg_error err;
  expect_invalid(bg_file_borrow(NULL, 5, NULL, &err), &err, "file: data is NULL but size is 5");
  expect_invalid(bg_file_copy(NULL, 5, "image/png", &err), &err,
                 "file: data is NULL but size is 5");
  expect_invalid(bg_bytes_borrow(NULL, 3, &err), &err, "bytes: data is NULL but size is 3");
  expect_invalid(bg_bytes_copy(NULL, 3, &err), &err, "bytes: data is NULL but size is 3");
  assert_null(bg_bytes_copy(NULL, 3, NULL)); /* err may be NULL */
}

static void test_mime_types(void **state) {
  (void)state;
  static const char *const good[] = {"image/png", "application/vnd.api+json", "text/x-c++src",
                                     "a/b", "application/x.a_b-c^d!e#f$g&h"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    assert_true(bgi_mime_valid(good[i]));
    bg_error err;
    bg_value *v = bg_file_borrow("x", 1, good[i], &err);
    if (!v)
      fail_msg("'%s' refused: %s", good[i], err.message);
    bg_value_free(v);
  }
  static const char *const bad[] = {"png",        "/png",        "image/", "image/png/x",
                                    "image/p ng", "image/png;",  "",       "image\\png",
                                    "ima ge/png", "image/png\n", "image/é"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (bgi_mime_valid(bad[i]))
      fail_msg("'%s' was taken for a MIME type", bad[i]);
    bg_error err;
    char want[128];
    snprintf(want, sizeof want, "MIME type '%s' is not of the form type/subtype, e.g. image/png",
             bad[i]);
    expect_invalid(bg_file_borrow("x", 1, bad[i], &err), &err, want);
    expect_invalid(bg_file_copy("x", 1, bad[i], &err), &err, want);
  }
}

/* A temporary file of `size` bytes (byte i is i * 7 + 1); its path in `path`. */
static void make_file(char *path, size_t cap, size_t size) {
  snprintf(path, cap, "%s/bgt_blob_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  uint8_t *buf = malloc(size ? size : 1);
  assert_non_null(buf);
  for (size_t i = 0; i < size; i++)
    buf[i] = (uint8_t)(i * 7 + 1);
  assert_int_equal(write(fd, buf, size), (ssize_t)size);
  free(buf);
  close(fd);
}

static void expect_file(const char *path, size_t size) {
  bg_error err;
  bg_value *v = bg_file_from_path(path, "application/octet-stream", &err);
  if (!v)
    fail_msg("%zu bytes: %s", size, err.message);
  assert_int_equal(bg_file_size(v), size);
  assert_string_equal(bg_file_mime(v), "application/octet-stream");
  const uint8_t *data = bg_file_data(v);
  for (size_t i = 0; i < size; i++)
    if (data[i] != (uint8_t)(i * 7 + 1))
      fail_msg("%zu bytes: byte %zu differs", size, i);
  bg_value_free(v);
}

/* Sizes around the reader's first buffer (64 KiB) and its doublings. */
static void test_from_path_reads_whole_files(void **state) {
  (void)state;
  static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 131072, 300000};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    char path[512];
    make_file(path, sizeof path, sizes[i]);
    expect_file(path, sizes[i]);
    unlink(path);
  }
}

static void test_from_path_errors_name_the_path(void **state) {
  (void)state;
  bg_error err;
  expect_invalid(bg_file_from_path(NULL, NULL, &err), &err, "file: path is NULL");

  char path[512];
  make_file(path, sizeof path, 1);
  unlink(path);
  assert_null(bg_file_from_path(path, NULL, &err));
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  char want[600];
  snprintf(want, sizeof want, "cannot open '%s': No such file or directory", path);
  assert_string_equal(err.message, want);

  /* a directory opens but cannot be read */
  assert_null(bg_file_from_path(".", NULL, &err));
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  assert_string_equal(err.message, "cannot read '.': Is a directory");

  /* a bad MIME type is refused after the read, and nothing leaks */
  make_file(path, sizeof path, 10);
  expect_invalid(bg_file_from_path(path, "nonsense", &err), &err,
                 "MIME type 'nonsense' is not of the form type/subtype, e.g. image/png");
  unlink(path);
}

/* Accessors answer for their own kind only. */
static void test_accessors_of_other_kinds(void **state) {
  (void)state;
  bg_error err;
  bg_value *file = bg_file_borrow("ab", 2, "text/plain", &err);
  bg_value *bytes = bg_bytes_borrow("abc", 3, &err);
  bg_value *text = bg_text_new("t", (size_t)-1, &err);
  assert_true(file && bytes && text);
  assert_null(bg_bytes_data(file));
  assert_int_equal(bg_bytes_size(file), 0);
  assert_null(bg_file_data(bytes));
  assert_int_equal(bg_file_size(bytes), 0);
  assert_null(bg_file_mime(bytes));
  assert_null(bg_file_data(text));
  assert_null(bg_file_mime(text));
  assert_null(bg_bytes_data(NULL));
  assert_int_equal(bg_bytes_size(NULL), 0);
  assert_null(bg_file_data(NULL));
  assert_int_equal(bg_file_size(NULL), 0);
  assert_null(bg_file_mime(NULL));
  bg_value_free(file);
  bg_value_free(bytes);
  bg_value_free(text);
}

/* bgi_blob_adopt takes the buffer; on failure it frees it (ASan/valgrind see a leak if not). */
static void test_adopt_takes_the_buffer(void **state) {
  (void)state;
  bg_error err;
  char *buf = malloc(3);
  assert_non_null(buf);
  memcpy(buf, "xyz", 3);
  bg_value *v = bgi_blob_adopt(BG_VALUE_FILE, buf, 3, "Text/CSV", &err);
  assert_non_null(v);
  assert_ptr_equal(bg_file_data(v), buf);
  assert_string_equal(bg_file_mime(v), "text/csv");
  bg_value_free(v);

  buf = malloc(3);
  assert_non_null(buf);
  v = bgi_blob_adopt(BG_VALUE_FILE, buf, 3, "bad", &err);
  expect_invalid(v, &err, "MIME type 'bad' is not of the form type/subtype, e.g. image/png");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_borrow_keeps_the_callers_bytes),
      cmocka_unit_test(test_copy_owns_its_bytes),
      cmocka_unit_test(test_null_data_with_a_size),
      cmocka_unit_test(test_mime_types),
      cmocka_unit_test(test_from_path_reads_whole_files),
      cmocka_unit_test(test_from_path_errors_name_the_path),
      cmocka_unit_test(test_accessors_of_other_kinds),
      cmocka_unit_test(test_adopt_takes_the_buffer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
