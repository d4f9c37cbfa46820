#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_json.h"

enum { MAX_DEPTH = 64 }; /* deeper than any ndarray (32 dims); bounds the recursion */

typedef struct parser {
  const char *p, *what;
  size_t scalars;
  bg_error *err;
} parser;

static cj_node *fail(parser *ps, const char *fmt, ...) {
  char reason[BG_ERROR_MESSAGE_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  ps->err->code = BG_ERR_INVALID_ARGUMENT;
  ps->err->grpc_status = 0;
  snprintf(ps->err->message, sizeof ps->err->message, "%s: %s", ps->what, reason);
  return NULL;
}

static cj_node *oom(parser *ps) {
  fail(ps, "out of memory");
  ps->err->code = BG_ERR_NO_MEMORY;
  return NULL;
}

static void skip_space(parser *ps) {
  while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
    ps->p++;
}

static cj_node *new_node(parser *ps, cj_kind kind) {
  cj_node *n = calloc(1, sizeof *n);
  if (!n)
    return oom(ps);
  n->kind = kind;
  return n;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* JSON's number grammar, plus NaN, Infinity and -Infinity (as the CLI prints them). */
static cj_node *parse_number(parser *ps) {
  const char *start = ps->p, *p = ps->p;
  if (*p == '-')
    p++;
  if (strncmp(p, "Infinity", 8) == 0) {
    p += 8;
  } else if (p == start && strncmp(p, "NaN", 3) == 0) {
    p += 3;
  } else {
    if (*p == '0')
      p++;
    else if (is_digit(*p))
      while (is_digit(*p))
        p++;
    else
      return fail(ps, "not valid JSON: a number, true, false or \"text\" was expected");
    if (*p == '.') {
      if (!is_digit(*++p))
        return fail(ps, "not valid JSON: a digit must follow the decimal point");
      while (is_digit(*p))
        p++;
    }
    if (*p == 'e' || *p == 'E') {
      p++;
      if (*p == '+' || *p == '-')
        p++;
      if (!is_digit(*p))
        return fail(ps, "not valid JSON: a digit must follow the exponent");
      while (is_digit(*p))
        p++;
    }
  }
  cj_node *n = new_node(ps, CJ_NUMBER);
  if (n) {
    n->text = start;
    n->len = (size_t)(p - start);
    ps->p = p;
    ps->scalars++;
  }
  return n;
}

/* A string token, decoded by jansson (escapes, UTF-8 check); a NUL inside is refused. */
static char *parse_string(parser *ps) {
  const char *start = ps->p, *p = ps->p + 1;
  while (*p && *p != '"')
    p += (*p == '\\' && p[1]) ? 2 : 1;
  if (*p != '"') {
    fail(ps, "not valid JSON: a string is not closed");
    return NULL;
  }
  p++;
  json_error_t jerr;
  json_t *s = json_loadb(start, (size_t)(p - start), JSON_DECODE_ANY, &jerr);
  char *copy = s ? strdup(json_string_value(s)) : NULL;
  if (!s && strstr(jerr.text, "JSON_ALLOW_NUL"))
    fail(ps, "strings with a NUL byte (\\u0000) are not supported");
  else if (!s)
    fail(ps, "not valid JSON: %s", jerr.text);
  else if (!copy)
    oom(ps);
  json_decref(s);
  ps->p = p;
  return copy;
}

static cj_node *parse_value(parser *ps, int depth);

static bool append(parser *ps, cj_node *list, cj_node *item, size_t *capacity) {
  if (list->n_items == *capacity) {
    size_t grown = *capacity ? *capacity * 2 : 4;
    cj_node **items = grown < *capacity ? NULL : realloc(list->items, grown * sizeof *items);
    if (!items) {
      oom(ps);
      return false;
    }
    list->items = items;
    *capacity = grown;
  }
  list->items[list->n_items++] = item;
  return true;
}

/* '[' values ']' or '{' "key": value '}' */
static cj_node *parse_container(parser *ps, int depth) {
  bool object = *ps->p == '{';
  char close = object ? '}' : ']';
  if (depth >= MAX_DEPTH)
    return fail(ps, "nested more than %d levels deep", MAX_DEPTH);
  cj_node *list = new_node(ps, object ? CJ_OBJECT : CJ_ARRAY);
  size_t capacity = 0;
  if (!list)
    return NULL;
  ps->p++;
  skip_space(ps);
  if (*ps->p == close) {
    ps->p++;
    return list;
  }
  for (;;) {
    char *key = NULL;
    if (object) {
      skip_space(ps);
      if (*ps->p != '"' || !(key = parse_string(ps))) {
        if (*ps->p != '"')
          fail(ps, "not valid JSON: an object member needs a \"name\"");
        break;
      }
      skip_space(ps);
      if (*ps->p != ':') {
        free(key);
        fail(ps, "not valid JSON: ':' must follow a member name");
        break;
      }
      ps->p++;
    }
    cj_node *item = parse_value(ps, depth + 1);
    if (item)
      item->key = key;
    else
      free(key);
    if (!item || !append(ps, list, item, &capacity)) {
      cj_free(item);
      break;
    }
    skip_space(ps);
    if (*ps->p == ',') {
      ps->p++;
      continue;
    }
    if (*ps->p == close) {
      ps->p++;
      return list;
    }
    fail(ps, "not valid JSON: expected ',' or '%c'", close);
    break;
  }
  cj_free(list);
  return NULL;
}

static cj_node *parse_value(parser *ps, int depth) {
  skip_space(ps);
  char c = *ps->p;
  if (c == '[' || c == '{')
    return parse_container(ps, depth);
  if (c == '"') {
    char *s = parse_string(ps);
    cj_node *n = s ? new_node(ps, CJ_STRING) : NULL;
    if (!n) {
      free(s);
      return NULL;
    }
    n->str = s;
    ps->scalars++;
    return n;
  }
  static const struct {
    const char *word;
    cj_kind kind;
  } words[] = {{"true", CJ_TRUE}, {"false", CJ_FALSE}, {"null", CJ_NULL}};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strncmp(ps->p, words[i].word, strlen(words[i].word)) == 0) {
      ps->p += strlen(words[i].word);
      ps->scalars++;
      return new_node(ps, words[i].kind);
    }
  if (c == '-' || is_digit(c) || c == 'N' || c == 'I')
    return parse_number(ps);
  if (c == '\0')
    return fail(ps, "not valid JSON: the text ends where a value was expected");
  return fail(ps, "not valid JSON: unexpected character '%c'", c);
}

cj_node *cj_parse(const char *text, const char *what, size_t *scalars, bg_error *err) {
  parser ps = {.p = text, .what = what, .err = err};
  cj_node *root = parse_value(&ps, 0);
  skip_space(&ps);
  if (root && *ps.p != '\0') {
    cj_free(root);
    return fail(&ps, "not valid JSON: extra text after the value");
  }
  if (root && scalars)
    *scalars = ps.scalars;
  return root;
}

void cj_free(cj_node *node) {
  if (!node)
    return;
  for (size_t i = 0; i < node->n_items; i++)
    cj_free(node->items[i]);
  free(node->items);
  free(node->str);
  free(node->key);
  free(node);
}
