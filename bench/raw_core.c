/* Raw gRPC Core client: the floor. The request is serialized ONCE at setup (protobuf-c) into
 * one slice; every call wraps that slice in a byte buffer (a reference, no copy), runs the
 * same six-op batch as libbentogrpc on a registered method, and checks the reply's length
 * without decoding it.
 *
 *   bench_raw threads ARGS...  blocking calls, one pluck CQ per thread, reused for every call
 *   bench_raw cq ARGS...       one thread, one CQ polled with grpc_completion_queue_next,
 *                              N calls in flight (the floor for async clients) */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include "bentoml/grpc/v1/service.pb-c.h"
#include "harness.h"

typedef struct {
  grpc_call *call;
  grpc_byte_buffer *request, *response;
  grpc_metadata_array initial, trailing;
  grpc_status_code status;
  grpc_slice details;
} raw_call;

typedef struct {
  grpc_channel *channel;
  void *method;
  grpc_slice request;        /* the pre-serialized Request */
  size_t response_length;    /* the echo's expected size */
  grpc_completion_queue *cq; /* cq style */
  raw_call *slots;
} raw_ctx;

/* ---- pre-serialization (setup only) ---- */

/* jansson document -> google.protobuf.Value, malloc'd so protobuf-c can free it. */
static Google__Protobuf__Value *to_value(const json_t *j) {
  Google__Protobuf__Value *v = malloc(sizeof *v);
  google__protobuf__value__init(v);
  if (json_is_object(j)) {
    Google__Protobuf__Struct *s = malloc(sizeof *s);
    google__protobuf__struct__init(s);
    s->fields = calloc(json_object_size(j) + 1, sizeof *s->fields);
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)j, key, member) {
      Google__Protobuf__Struct__FieldsEntry *e = malloc(sizeof *e);
      google__protobuf__struct__fields_entry__init(e);
      e->key = strdup(key);
      e->value = to_value(member);
      s->fields[s->n_fields++] = e;
    }
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
    v->struct_value = s;
  } else if (json_is_array(j)) {
    Google__Protobuf__ListValue *l = malloc(sizeof *l);
    google__protobuf__list_value__init(l);
    l->values = calloc(json_array_size(j) + 1, sizeof *l->values);
    for (size_t i = 0; i < json_array_size(j); i++)
      l->values[l->n_values++] = to_value(json_array_get(j, i));
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
    v->list_value = l;
  } else if (json_is_string(j)) {
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
    v->string_value = strdup(json_string_value(j));
  } else if (json_is_number(j)) {
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
    v->number_value = json_number_value(j);
  } else if (json_is_boolean(j)) {
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
    v->bool_value = json_is_true(j);
  } else {
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
  }
  return v;
}

/* The workload's DataFrame message, as libbentogrpc sends it: packed values pointing at the
 * workload's columns, bools widened to protobuf-c's int. Freed by free_dataframe(). */
static Bentoml__Grpc__V1__DataFrame *to_dataframe(const bench_workload *w) {
  Bentoml__Grpc__V1__DataFrame *df = malloc(sizeof *df);
  bentoml__grpc__v1__data_frame__init(df);
  df->n_column_names = df->n_columns = w->n_columns;
  df->column_names = calloc(w->n_columns, sizeof *df->column_names);
  df->columns = calloc(w->n_columns, sizeof *df->columns);
  for (size_t i = 0; i < w->n_columns; i++) {
    const bench_column *c = &w->columns[i];
    Bentoml__Grpc__V1__Series *s = malloc(sizeof *s);
    bentoml__grpc__v1__series__init(s);
    df->column_names[i] = (char *)c->name;
    df->columns[i] = s;
    switch (c->type) {
    case BENCH_COL_F64:
      s->n_double_values = w->rows;
      s->double_values = (double *)c->data;
      break;
    case BENCH_COL_I64:
      s->n_int64_values = w->rows;
      s->int64_values = (int64_t *)c->data;
      break;
    case BENCH_COL_BOOL:
      s->n_bool_values = w->rows;
      s->bool_values = malloc(w->rows * sizeof *s->bool_values);
      for (size_t r = 0; r < w->rows; r++)
        s->bool_values[r] = ((const bool *)c->data)[r];
      break;
    case BENCH_COL_STR:
      s->n_string_values = w->rows;
      s->string_values = (char **)c->data;
      break;
    }
  }
  return df;
}

static void free_dataframe(Bentoml__Grpc__V1__DataFrame *df) {
  for (size_t i = 0; df && i < df->n_columns; i++) {
    free(df->columns[i]->bool_values);
    free(df->columns[i]);
  }
  if (df) {
    free(df->columns);
    free(df->column_names);
  }
  free(df);
}

static int serialize(const bench_workload *w, raw_ctx *ctx) {
  Bentoml__Grpc__V1__Request req;
  Bentoml__Grpc__V1__Response resp;
  Bentoml__Grpc__V1__NDArray nd;
  bentoml__grpc__v1__request__init(&req);
  bentoml__grpc__v1__response__init(&resp);
  bentoml__grpc__v1__ndarray__init(&nd);
  Google__Protobuf__Value *json = NULL;
  Bentoml__Grpc__V1__DataFrame *df = NULL;
  Google__Protobuf__StringValue text = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
  int32_t shape[2] = {(int32_t)w->shape[0], (int32_t)w->shape[1]};
  req.api_name = (char *)w->api;
  if (w->kind == BENCH_JSON) {
    json_t *doc = json_loads(w->json, 0, NULL);
    if (!doc)
      return -1;
    json = to_value(doc);
    json_decref(doc);
    req.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_JSON;
    req.json = json;
    resp.content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_JSON;
    resp.json = json;
  } else if (w->kind == BENCH_DATAFRAME) {
    df = to_dataframe(w);
    req.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_DATAFRAME;
    req.dataframe = df;
    resp.content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_DATAFRAME;
    resp.dataframe = df;
  } else if (w->kind == BENCH_TEXT) {
    text.value = (char *)w->text;
    req.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_TEXT;
    req.text = &text;
    resp.content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_TEXT;
    resp.text = &text;
  } else {
    nd.dtype = BENTOML__GRPC__V1__NDARRAY__DTYPE__DTYPE_FLOAT;
    nd.n_shape = 2;
    nd.shape = shape;
    nd.n_float_values = w->count;
    nd.float_values = (float *)w->data;
    req.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_NDARRAY;
    req.ndarray = &nd;
    resp.content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_NDARRAY;
    resp.ndarray = &nd;
  }
  size_t size = protobuf_c_message_get_packed_size(&req.base);
  ctx->request = grpc_slice_malloc(size);
  protobuf_c_message_pack(&req.base, GRPC_SLICE_START_PTR(ctx->request));
  ctx->response_length = protobuf_c_message_get_packed_size(&resp.base);
  if (json)
    protobuf_c_message_free_unpacked(&json->base, NULL);
  free_dataframe(df);
  return 0;
}

static void *raw_setup(const bench_config *config, const bench_workload *w) {
  grpc_init();
  raw_ctx *ctx = calloc(1, sizeof *ctx);
  if (serialize(w, ctx) != 0) {
    fprintf(stderr, "raw: cannot build the request\n");
    return NULL;
  }
  /* BENCH_LB_POLICY: bench/replicas.sh gives every contender the same LB policy */
  const char *lb = getenv("BENCH_LB_POLICY");
  grpc_arg arg[2] = {{.type = GRPC_ARG_INTEGER,
                      .key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
                      .value.integer = -1},
                     {.type = GRPC_ARG_STRING,
                      .key = (char *)GRPC_ARG_LB_POLICY_NAME,
                      .value.string = (char *)lb}};
  grpc_channel_args args = {.num_args = lb && *lb ? 2 : 1, .args = arg};
  grpc_channel_credentials *creds = grpc_insecure_credentials_create();
  ctx->channel = grpc_channel_create(config->url, creds, &args);
  grpc_channel_credentials_release(creds);
  ctx->method =
      grpc_channel_register_call(ctx->channel, "/bentoml.grpc.v1.BentoService/Call", NULL, NULL);
  ctx->cq = grpc_completion_queue_create_for_next(NULL);
  ctx->slots = calloc((size_t)config->inflight, sizeof *ctx->slots);
  return ctx;
}

static void raw_teardown(void *p) {
  raw_ctx *ctx = p;
  grpc_completion_queue_shutdown(ctx->cq);
  while (grpc_completion_queue_next(ctx->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
         GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(ctx->cq);
  grpc_channel_destroy(ctx->channel);
  grpc_slice_unref(ctx->request);
  free(ctx->slots);
  free(ctx);
  grpc_shutdown();
}

/* ---- one call: start the batch / finish it ---- */

static int start_call(raw_ctx *ctx, raw_call *c, grpc_completion_queue *cq) {
  memset(c, 0, sizeof *c);
  c->details = grpc_empty_slice();
  c->request = grpc_raw_byte_buffer_create(&ctx->request, 1);
  c->call =
      grpc_channel_create_registered_call(ctx->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                          ctx->method, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  grpc_op ops[6];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = c->request;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &c->initial;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &c->response;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &c->trailing;
  ops[5].data.recv_status_on_client.status = &c->status;
  ops[5].data.recv_status_on_client.status_details = &c->details;
  return grpc_call_start_batch(c->call, ops, 6, c, NULL) == GRPC_CALL_OK ? 0 : -1;
}

static int finish_call(raw_ctx *ctx, raw_call *c, int success) {
  int rc = 0;
  if (!success || c->status != GRPC_STATUS_OK || !c->response ||
      grpc_byte_buffer_length(c->response) != ctx->response_length) {
    fprintf(stderr, "raw: call failed (status %d, %zu bytes)\n", (int)c->status,
            c->response ? grpc_byte_buffer_length(c->response) : 0);
    rc = -1;
  }
  grpc_call_unref(c->call);
  grpc_byte_buffer_destroy(c->request);
  if (c->response)
    grpc_byte_buffer_destroy(c->response);
  grpc_metadata_array_destroy(&c->initial);
  grpc_metadata_array_destroy(&c->trailing);
  grpc_slice_unref(c->details);
  return rc;
}

/* ---- threads style ---- */

typedef struct {
  raw_ctx *ctx;
  grpc_completion_queue *cq;
  raw_call call;
} raw_thread;

static void *raw_thread_init(void *p) {
  raw_thread *t = calloc(1, sizeof *t);
  t->ctx = p;
  t->cq = grpc_completion_queue_create_for_pluck(NULL);
  return t;
}

static void raw_thread_fini(void *p) {
  raw_thread *t = p;
  grpc_completion_queue_shutdown(t->cq);
  grpc_completion_queue_destroy(t->cq);
  free(t);
}

static int raw_call_blocking(void *p) {
  raw_thread *t = p;
  if (start_call(t->ctx, &t->call, t->cq) != 0)
    return -1;
  grpc_event ev =
      grpc_completion_queue_pluck(t->cq, &t->call, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  return finish_call(t->ctx, &t->call, ev.type == GRPC_OP_COMPLETE && ev.success);
}

/* ---- cq style ---- */

static int raw_submit(void *p, int slot) {
  raw_ctx *ctx = p;
  return start_call(ctx, &ctx->slots[slot], ctx->cq);
}

static int raw_wait(void *p, int *slot) {
  raw_ctx *ctx = p;
  grpc_event ev = grpc_completion_queue_next(ctx->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  if (ev.type != GRPC_OP_COMPLETE)
    return -1;
  raw_call *c = ev.tag;
  *slot = (int)(c - ctx->slots);
  return finish_call(ctx, c, ev.success);
}

int main(int argc, char **argv) {
  int cq_style = argc > 1 && !strcmp(argv[1], "cq");
  if (argc < 2 || (!cq_style && strcmp(argv[1], "threads"))) {
    fprintf(stderr, "usage: %s threads|cq ARGS...\n", argv[0]);
    return 2;
  }
  bench_contender c = {
      .name = cq_style ? "raw-core-cq" : "raw-core", .setup = raw_setup, .teardown = raw_teardown};
  if (cq_style) {
    c.submit = raw_submit;
    c.wait = raw_wait;
  } else {
    c.thread_init = raw_thread_init;
    c.thread_fini = raw_thread_fini;
    c.call = raw_call_blocking;
  }
  argv[1] = argv[0];
  return bench_main(argc - 1, argv + 1, &c);
}
