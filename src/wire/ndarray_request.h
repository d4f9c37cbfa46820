/* Request{api_name, ndarray} for a float or double array, packed by hand: the hot path of
 * every predict call. protobuf-c's generic packer walks the message schema twice (size, then
 * bytes); here the few header bytes are written directly and the elements follow as one
 * block, byte-identical to protobuf-c's output. Small arrays are copied into the one slice;
 * large ones may be borrowed: a second slice over the caller's own buffer, which gRPC may keep
 * until the bytes are written, so the caller must not free or change the buffer before
 * bgi_send_guard_wait() has returned. */
#ifndef BGI_WIRE_NDARRAY_REQUEST_H
#define BGI_WIRE_NDARRAY_REQUEST_H

#include <grpc/byte_buffer.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "bentogrpc/common.h"
#include "wire/proto.h"

/* Smaller arrays are copied: two slices cost more than a small memcpy. */
#define BGI_BORROWED_SEND_MIN_BYTES (64 * 1024)

/* Tells when gRPC has dropped the borrowed elements. */
typedef struct bgi_send_guard {
  pthread_mutex_t mutex;
  pthread_cond_t released_cond;
  bool released;
  /* Set (release) once the guard is ready, read (acquire) first thing in the release
   * callback: gRPC hands the slice to the thread that drops it through synchronisation that
   * ThreadSanitizer cannot see (gRPC is not instrumented), so this makes that hand-off
   * visible. It orders nothing gRPC does not order already. */
  atomic_bool armed;
} bgi_send_guard;

/* true when `ndarray` (an encoded NDArray) can be packed here: at least one float or double
 * element and no other values field, on a little-endian host (the wire's byte order). */
bool bgi_ndarray_request_possible(const bgi_pb_ndarray *ndarray);

/* true when it is also large enough to be sent borrowed (BGI_BORROWED_SEND_MIN_BYTES). */
bool bgi_ndarray_request_borrowable(const bgi_pb_ndarray *ndarray);

/* Packs Request{api_name, ndarray} (bgi_ndarray_request_possible() must hold). With `guard`
 * (initialised here; bgi_ndarray_request_borrowable() must hold) the elements are borrowed and
 * the guard learns when gRPC has dropped them; with NULL they are copied. */
bg_status bgi_ndarray_request_pack(const char *api_name, const bgi_pb_ndarray *ndarray,
                                   bgi_send_guard *guard, grpc_byte_buffer **out, bg_error *err);

/* Blocks until gRPC has released the borrowed elements, then frees the guard. Call it after
 * the call has finished and the byte buffer is destroyed. */
void bgi_send_guard_wait(bgi_send_guard *guard);

#endif
