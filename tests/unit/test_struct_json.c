/* google.protobuf.Struct / Value -> JSON (wire/struct_json.c), the reader of descriptor
 * attributes and JSON replies: every Value kind, an unset Value as null, and each thing a
 * server can send that JSON cannot hold refused as BG_ERR_PROTOCOL with its reason. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <grpc/byte_buffer.h>
#include <grpc/slice.h>

#include "test_assert.h"

#include "wire/byte_buffer.h"
#include "wire/struct_json.h"

typedef Google__Protobuf__Value pb_value;
typedef Google__Protobuf__Struct pb_struct;
typedef Google__Protobuf__Struct__FieldsEntry pb_entry;
typedef Google__Protobuf__ListValue pb_list;

/* Strings in messages are malloc'd, as in a decoded message: the reader measures a string
 * field by its heap block (bgi_wire_string_length). Freed after each test. */
static char *owned[64];
static size_t n_owned;

static char *S(const char *s) {
  assert_true(n_owned < sizeof owned / sizeof owned[0]);
  char *copy = strdup(s);
  assert_non_null(copy);
  return owned[n_owned++] = copy;
}

static int free_owned(void **state) {
  (void)state;
  while (n_owned)
    free(owned[--n_owned]);
  return 0;
}

static pb_value number(double d) {
  pb_value v = GOOGLE__PROTOBUF__VALUE__INIT;
  v.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
  v.number_value = d;
  return v;
}

static pb_value string(const char *s) {
  pb_value v = GOOGLE__PROTOBUF__VALUE__INIT;
  v.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
  v.string_value = S(s);
  return v;
}

/* Compact, sorted text of `json` (which is consumed). */
static char *dump(json_t *json) {
  assert_non_null(json);
  char *text = json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  json_decref(json);
  assert_non_null(text);
  return text;
}

static void expect_json(const pb_value *v, const char *want) {
  bg_error err;
  json_t *json = bgi_proto_value_to_json(v, &err);
  if (!json)
    fail_msg("expected %s, got an error: %s", want, err.message);
  char *text = dump(json);
  assert_string_equal(text, want);
  free(text);
}

static void expect_value_error(const pb_value *v, const char *message) {
  bg_error err;
  assert_null(bgi_proto_value_to_json(v, &err));
  assert_int_equal(err.code, BG_ERR_PROTOCOL);
  assert_string_equal(err.message, message);
}

/* A Struct whose conversion must fail as the server's fault with `message`; a failure names the
 * caller's line. */
#define expect_struct_error(s, message) expect_struct_error_at((s), (message), __LINE__)
static void expect_struct_error_at(const pb_struct *s, const char *message, int line) {
  bg_error err;
  _assert_true(!bgi_struct_to_json(s, &err), "bgi_struct_to_json(s) == NULL", __FILE__, line);
  _assert_int_equal(err.code, BG_ERR_PROTOCOL, __FILE__, line);
  _assert_string_equal(err.message, message, __FILE__, line);
}

/* The same for the Struct of one field `key`: `value`. */
#define expect_field_error(key, value, message)                                                    \
  expect_field_error_at((key), (value), (message), __LINE__)
static void expect_field_error_at(const char *key, pb_value *value, const char *message, int line) {
  pb_entry entry = GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT;
  entry.key = S(key);
  entry.value = value;
  pb_entry *entries[] = {&entry};
  pb_struct s = GOOGLE__PROTOBUF__STRUCT__INIT;
  s.n_fields = 1;
  s.fields = entries;
  expect_struct_error_at(&s, message, line);
}

static void test_scalar_kinds(void **state) {
  (void)state;
  pb_value unset = GOOGLE__PROTOBUF__VALUE__INIT;
  expect_json(&unset, "null"); /* no member set: null, as BentoML reads it */
  expect_json(NULL, "null");
  pb_value null = GOOGLE__PROTOBUF__VALUE__INIT;
  null.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
  expect_json(&null, "null");
  pb_value n = number(2.5);
  expect_json(&n, "2.5");
  n = number(-0.0);
  expect_json(&n, "-0.0");
  pb_value t = GOOGLE__PROTOBUF__VALUE__INIT;
  t.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
  t.bool_value = 1;
  expect_json(&t, "true");
  t.bool_value = 0;
  expect_json(&t, "false");
  pb_value s = string("h\xc3\xa9llo \"q\"");
  expect_json(&s, "\"h\xc3\xa9llo \\\"q\\\"\""); /* UTF-8 kept as is */
  s = string("");
  expect_json(&s, "\"\"");
}

static void test_numbers_json_cannot_hold(void **state) {
  (void)state;
  const double bad[] = {NAN, INFINITY, -INFINITY};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pb_value v = number(bad[i]);
    expect_value_error(&v, "JSON number is NaN or infinite, which JSON cannot hold");
  }
}

static void test_string_not_utf8(void **state) {
  (void)state;
  pb_value v = string("ok \xff\xfe");
  expect_value_error(&v, "JSON string is not valid UTF-8");
}

static void test_unknown_kind(void **state) {
  (void)state;
  pb_value v = GOOGLE__PROTOBUF__VALUE__INIT;
  v.kind_case = (Google__Protobuf__Value__KindCase)42;
  expect_value_error(&v, "unknown google.protobuf.Value kind 42");
}

/* A Struct of every kind, nested lists and structs, keys kept as sent. */
static void test_struct_of_every_kind(void **state) {
  (void)state;
  pb_value one = number(1), two = string("two"), unset = GOOGLE__PROTOBUF__VALUE__INIT;
  pb_value *items[] = {&one, &two, &unset};
  pb_list list = GOOGLE__PROTOBUF__LIST_VALUE__INIT;
  list.n_values = 3;
  list.values = items;
  pb_value list_value = GOOGLE__PROTOBUF__VALUE__INIT;
  list_value.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
  list_value.list_value = &list;

  pb_value deep = number(3);
  pb_entry inner_entry = GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT;
  inner_entry.key = S("k");
  inner_entry.value = &deep;
  pb_entry *inner_entries[] = {&inner_entry};
  pb_struct inner = GOOGLE__PROTOBUF__STRUCT__INIT;
  inner.n_fields = 1;
  inner.fields = inner_entries;
  pb_value inner_value = GOOGLE__PROTOBUF__VALUE__INIT;
  inner_value.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
  inner_value.struct_value = &inner;

  pb_value empty_list_value = GOOGLE__PROTOBUF__VALUE__INIT; /* a list Value with no list */
  empty_list_value.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
  pb_value empty_struct_value = GOOGLE__PROTOBUF__VALUE__INIT;
  empty_struct_value.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;

  pb_entry e[5] = {
      GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT, GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT,
      GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT, GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT,
      GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT};
  e[0].key = S("list");
  e[0].value = &list_value;
  e[1].key = S("obj");
  e[1].value = &inner_value;
  e[2].key = S("none");
  e[2].value = &empty_list_value;
  e[3].key = NULL; /* a key the server left out is the empty key */
  e[3].value = &empty_struct_value;
  e[4].key = S("missing"); /* an entry with no value: null */
  e[4].value = NULL;
  pb_entry *entries[] = {&e[0], &e[1], &e[2], &e[3], &e[4]};
  pb_struct s = GOOGLE__PROTOBUF__STRUCT__INIT;
  s.n_fields = 5;
  s.fields = entries;
  bg_error err;
  char *text = dump(bgi_struct_to_json(&s, &err));
  assert_string_equal(text, "{\"\":{},\"list\":[1.0,\"two\",null],\"missing\":null,\"none\":[],"
                            "\"obj\":{\"k\":3.0}}");
  free(text);

  /* NULL struct: {} */
  text = dump(bgi_struct_to_json(NULL, &err));
  assert_string_equal(text, "{}");
  free(text);
}

/* An error deep inside a list or struct is the whole result's error. */
static void test_error_inside_containers(void **state) {
  (void)state;
  pb_value nan = number(NAN), ok = number(1);
  pb_value *items[] = {&ok, &nan};
  pb_list list = GOOGLE__PROTOBUF__LIST_VALUE__INIT;
  list.n_values = 2;
  list.values = items;
  pb_value list_value = GOOGLE__PROTOBUF__VALUE__INIT;
  list_value.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
  list_value.list_value = &list;
  expect_value_error(&list_value, "JSON number is NaN or infinite, which JSON cannot hold");
  expect_field_error("x", &list_value, "JSON number is NaN or infinite, which JSON cannot hold");
}

static void test_key_not_utf8(void **state) {
  (void)state;
  pb_value one = number(1);
  expect_field_error("k\xff", &one, "JSON object key is not valid UTF-8");
}

/* Struct bytes off the wire, unpacked as a reply is (so strings keep their wire length). */
static pb_struct *unpack_struct(const uint8_t *bytes, size_t n) {
  grpc_slice slice = grpc_slice_from_copied_buffer((const char *)bytes, n);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
  grpc_slice_unref(slice);
  ProtobufCMessage *msg = NULL;
  bg_error err;
  bg_status st = bgi_wire_unpack(&google__protobuf__struct__descriptor, bb, "Struct", &msg, &err);
  grpc_byte_buffer_destroy(bb);
  if (st != BG_OK)
    fail_msg("unpack: %s", err.message);
  return (pb_struct *)msg;
}

/* A key holding a NUL byte would be cut short by a C string: refused, not truncated. A string
 * value holding one is kept whole. */
static void test_nul_bytes_on_the_wire(void **state) {
  (void)state;
  /* Struct{fields: {key: "a\0b", value: {number_value: 1}}} */
  static const uint8_t nul_key[] = {0x0a, 0x10, 0x0a, 0x03, 'a', 0, 'b', 0x12, 0x09,
                                    0x11, 0,    0,    0,    0,   0, 0,   0xf0, 0x3f};
  pb_struct *s = unpack_struct(nul_key, sizeof nul_key);
  expect_struct_error(s, "JSON object key contains a NUL byte");
  protobuf_c_message_free_unpacked(&s->base, NULL);

  /* Struct{fields: {key: "k", value: {string_value: "x\0y"}}} */
  static const uint8_t nul_value[] = {0x0a, 0x0a, 0x0a, 0x01, 'k', 0x12,
                                      0x05, 0x1a, 0x03, 'x',  0,   'y'};
  s = unpack_struct(nul_value, sizeof nul_value);
  bg_error err;
  json_t *json = bgi_struct_to_json(s, &err);
  protobuf_c_message_free_unpacked(&s->base, NULL);
  assert_non_null(json);
  json_t *k = json_object_get(json, "k");
  assert_int_equal(json_string_length(k), 3);
  assert_memory_equal(json_string_value(k), "x\0y", 3);
  json_decref(json);
}

/* Nesting: exactly BGI_JSON_MAX_DEPTH levels pass, one more is refused before recursing. */
static pb_value *nest_lists(int depth, pb_value *leaf) {
  pb_value *values = calloc((size_t)depth, sizeof *values);
  pb_list *lists = calloc((size_t)depth, sizeof *lists);
  pb_value **items = calloc((size_t)depth, sizeof *items);
  assert_true(values && lists && items);
  for (int i = 0; i < depth; i++) {
    pb_list l = GOOGLE__PROTOBUF__LIST_VALUE__INIT;
    lists[i] = l;
    lists[i].n_values = 1;
    items[i] = i + 1 < depth ? &values[i + 1] : leaf;
    lists[i].values = &items[i];
    pb_value v = GOOGLE__PROTOBUF__VALUE__INIT;
    values[i] = v;
    values[i].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
    values[i].list_value = &lists[i];
  }
  return values; /* values, lists and items freed by free_nest */
}

static void free_nest(pb_value *values) {
  free(values[0].list_value->values);
  free(values[0].list_value);
  free(values);
}

static int json_depth(const json_t *j) {
  int depth = 0;
  while (json_is_array(j)) {
    depth++;
    j = json_array_get(j, 0);
  }
  return depth;
}

static void test_nesting_limit(void **state) {
  (void)state;
  pb_value leaf = number(7);
  bg_error err;
  /* each list Value counts two levels (the Value and its list); the leaf one more */
  int fits = BGI_JSON_MAX_DEPTH / 2;
  pb_value *ok = nest_lists(fits, &leaf);
  json_t *json = bgi_proto_value_to_json(ok, &err);
  if (!json)
    fail_msg("%d nested lists: %s", fits, err.message);
  assert_int_equal(json_depth(json), fits);
  json_decref(json);
  free_nest(ok);

  pb_value *too_deep = nest_lists(fits + 1, &leaf);
  assert_null(bgi_proto_value_to_json(too_deep, &err));
  assert_int_equal(err.code, BG_ERR_PROTOCOL);
  assert_string_equal(err.message, "JSON value nested deeper than 64 levels");
  free_nest(too_deep);

  /* structs nest the same way: a Struct inside a Value inside a Struct ... */
  enum { N = BGI_JSON_MAX_DEPTH };
  pb_struct structs[N];
  pb_value values[N];
  pb_entry entries[N];
  pb_entry *entry_ptrs[N];
  char *key = S("s");
  for (int i = 0; i < N; i++) {
    pb_struct s = GOOGLE__PROTOBUF__STRUCT__INIT;
    pb_value v = GOOGLE__PROTOBUF__VALUE__INIT;
    pb_entry e = GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT;
    structs[i] = s;
    values[i] = v;
    entries[i] = e;
    values[i].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
    values[i].struct_value = &structs[i];
    entries[i].key = key;
    entries[i].value = i + 1 < N ? &values[i + 1] : &leaf;
    entry_ptrs[i] = &entries[i];
    structs[i].n_fields = 1;
    structs[i].fields = &entry_ptrs[i];
  }
  assert_null(bgi_struct_to_json(&structs[0], &err));
  assert_int_equal(err.code, BG_ERR_PROTOCOL);
  assert_string_equal(err.message, "JSON value nested deeper than 64 levels");
  /* rooted at a Value, a Struct lands on an odd level: the 33rd one, at level 65, is refused */
  pb_struct empty = GOOGLE__PROTOBUF__STRUCT__INIT;
  values[32].struct_value = &empty;
  json = bgi_proto_value_to_json(&values[32 - 31], &err); /* 32 struct levels: fits */
  if (!json)
    fail_msg("32 nested structs from a Value: %s", err.message);
  json_decref(json);
  assert_null(bgi_proto_value_to_json(&values[32 - 32], &err)); /* 33 */
  assert_int_equal(err.code, BG_ERR_PROTOCOL);
  assert_string_equal(err.message, "JSON value nested deeper than 64 levels");
  values[32].struct_value = &structs[32];
  /* from a third of the way down it fits */
  json = bgi_struct_to_json(&structs[N - N / 3], &err);
  if (!json)
    fail_msg("%d nested structs: %s", N / 3, err.message);
  json_decref(json);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_scalar_kinds, free_owned),
      cmocka_unit_test_teardown(test_numbers_json_cannot_hold, free_owned),
      cmocka_unit_test_teardown(test_string_not_utf8, free_owned),
      cmocka_unit_test_teardown(test_unknown_kind, free_owned),
      cmocka_unit_test_teardown(test_struct_of_every_kind, free_owned),
      cmocka_unit_test_teardown(test_error_inside_containers, free_owned),
      cmocka_unit_test_teardown(test_key_not_utf8, free_owned),
      cmocka_unit_test_teardown(test_nul_bytes_on_the_wire, free_owned),
      cmocka_unit_test_teardown(test_nesting_limit, free_owned),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
