#include "wire/json_wire.h"
#include "error_internal.h"

bg_status bgi_json_to_proto_value(const json_t *j, bgi_arena *arena, Google__Protobuf__Value **out,
                                  bg_error *err) {
  Google__Protobuf__Value *v = bgi_arena_alloc(arena, sizeof *v);
  if (!v)
    return BGI_FAIL_NOMEM(err);
  google__protobuf__value__init(v);
  switch (json_typeof(j)) {
  case JSON_NULL:
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
    v->null_value = GOOGLE__PROTOBUF__NULL_VALUE__NULL_VALUE;
    break;
  case JSON_TRUE:
  case JSON_FALSE:
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
    v->bool_value = json_is_true(j);
    break;
  case JSON_INTEGER:
  case JSON_REAL: /* range checked when the value was built */
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
    v->number_value = json_number_value(j);
    break;
  case JSON_STRING:
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
    v->string_value = (char *)json_string_value(j);
    break;
  case JSON_ARRAY: {
    Google__Protobuf__ListValue *l = bgi_arena_alloc(arena, sizeof *l);
    size_t n = json_array_size(j);
    Google__Protobuf__Value **items = bgi_arena_alloc(arena, n * sizeof *items);
    if (!l || !items)
      return BGI_FAIL_NOMEM(err);
    google__protobuf__list_value__init(l);
    for (size_t i = 0; i < n; i++)
      if (bgi_json_to_proto_value(json_array_get(j, i), arena, &items[i], err) != BG_OK)
        return err->code;
    l->n_values = n;
    l->values = items;
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
    v->list_value = l;
    break;
  }
  case JSON_OBJECT: {
    Google__Protobuf__Struct *s = bgi_arena_alloc(arena, sizeof *s);
    size_t n = json_object_size(j), i = 0;
    Google__Protobuf__Struct__FieldsEntry **entries = bgi_arena_alloc(arena, n * sizeof *entries);
    if (!s || !entries)
      return BGI_FAIL_NOMEM(err);
    google__protobuf__struct__init(s);
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)j, key, member) {
      Google__Protobuf__Struct__FieldsEntry *e = bgi_arena_alloc(arena, sizeof *e);
      if (!e)
        return BGI_FAIL_NOMEM(err);
      google__protobuf__struct__fields_entry__init(e);
      e->key = (char *)key;
      if (bgi_json_to_proto_value(member, arena, &e->value, err) != BG_OK)
        return err->code;
      entries[i++] = e;
    }
    s->n_fields = i;
    s->fields = entries;
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
    v->struct_value = s;
    break;
  }
  }
  *out = v;
  return BG_OK;
}
