/* Sending a large float/double ndarray without copying its elements: the Request goes out as
 * a small packed header slice followed by a slice over the caller's own buffer. gRPC may keep
 * that slice until the bytes are written, so the caller must not free or change the buffer
 * before bgi_borrowed_send_wait() has returned. */
#ifndef BGI_WIRE_BORROWED_SEND_H
#define BGI_WIRE_BORROWED_SEND_H

#include <grpc/byte_buffer.h>
#include <pthread.h>
#include <stdbool.h>

#include "bentogrpc/common.h"
#include "wire/proto.h"

/* Smaller arrays are copied: two slices cost more than a small memcpy. */
#define BGI_BORROWED_SEND_MIN_BYTES (64 * 1024)

typedef struct bgi_borrowed_send {
  pthread_mutex_t mutex;
  pthread_cond_t released_cond;
  bool released;
} bgi_borrowed_send;

/* true when `ndarray` (an encoded NDArray pointing at the caller's elements) can be sent
 * borrowed: float or double values of at least BGI_BORROWED_SEND_MIN_BYTES, on a
 * little-endian host (the wire's byte order). */
bool bgi_borrowed_send_possible(const bgi_pb_ndarray *ndarray);

/* Packs Request{api_name, ndarray} with the values borrowed; `guard` (initialised here) learns
 * when gRPC has dropped them. Byte-identical to protobuf-c's packing of the same message. */
bg_status bgi_borrowed_send_pack(const char *api_name, bgi_pb_ndarray *ndarray,
                                 bgi_borrowed_send *guard, grpc_byte_buffer **out, bg_error *err);

/* Blocks until gRPC has released the borrowed elements, then frees the guard. Call it after
 * the call has finished and the byte buffer is destroyed. */
void bgi_borrowed_send_wait(bgi_borrowed_send *guard);

#endif
