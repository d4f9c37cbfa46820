/** @file common.h
 * Status codes, the error record, the export macro and the library's version.
 *
 * Every operation returns a bg_status. Functions also take an optional `bg_error *err`
 * (NULL when the caller does not want details); on failure it is filled with our code, the
 * gRPC status the server or transport gave (0 when there was none) and a message that says
 * what went wrong and what to do. The library keeps no global or per-handle "last error",
 * so errors are safe to use from any thread. Constructors return the new handle, or NULL
 * with `err` filled. */
#ifndef BENTOGRPC_COMMON_H
#define BENTOGRPC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <bentogrpc/version.h> /* generated: BG_VERSION_* */

#ifdef __cplusplus
extern "C" {
#endif

#if defined(BG_BUILDING_LIBRARY)
#define BG_API __attribute__((visibility("default")))
#else
/** Marks the public functions: exported from the shared library when it is built, empty for
 *  its users. */
#define BG_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#define BG_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
/** Marks a public function kept under its old name for binary and source compatibility (see
 *  docs/INTERNALS.md "Public names"): with GCC and Clang, `__attribute__((deprecated(msg)))`,
 *  so a use warns with `msg`, which names the replacement; empty for other compilers. The
 *  function stays exported until the next minor version removes it. */
#define BG_DEPRECATED(msg)
#endif

/** The version of the library actually loaded (see version.h for the headers' own).
 *  @return e.g. "0.1.0" (static storage, never NULL); compare with BG_VERSION_STRING from
 *          version.h to detect a header/library mismatch. Thread-safe. */
BG_API const char *bg_version(void);

/** The version of gRPC Core the library runs on, for bug reports and `bentogrpc --version`.
 *  @return e.g. "29.0.0" (gRPC's core version; static storage, never NULL). Thread-safe. */
BG_API const char *bg_grpc_core_version(void);

/** What an operation returned; also bg_error::code. */
typedef enum bg_status {
  BG_OK = 0,                   /**< success */
  BG_ERR_INVALID_ARGUMENT = 1, /**< the caller passed something unusable (NULL, bad URL,
                                    bad shape) */
  BG_ERR_NO_MEMORY = 2,        /**< an allocation failed */
  BG_ERR_UNAVAILABLE = 3,      /**< the server could not be reached (gRPC UNAVAILABLE) */
  BG_ERR_DEADLINE = 4,         /**< the deadline passed before the server answered */
  BG_ERR_SERVER = 5,           /**< the server answered with a non-OK gRPC status; see
                                    bg_error::grpc_status */
  BG_ERR_PROTOCOL = 6,         /**< the server's reply does not follow the BentoML protocol */
  BG_ERR_UNKNOWN_API = 7,      /**< no API of that name on the server */
  BG_ERR_UNSUPPORTED = 8,      /**< this library cannot handle it (descriptor, protocol version) */
  BG_ERR_TIMEOUT = 9,          /**< waiting for the server to become ready timed out */
  BG_ERR_CANCELLED = 10,       /**< the call was cancelled */
  BG_ERR_INTERNAL = 11,        /**< a bug in libbentogrpc or gRPC; please report it */
  BG_ERR_FORKED = 12           /**< a client made before fork() was used in the child, or this
                                    forked process cannot use gRPC (README, "fork()") */
} bg_status;

/** Size of bg_error::message. The library's text, with its terminating NUL, takes at most
 *  the first BG_ERROR_MESSAGE_SIZE - 3 bytes (longer messages are cut); the last 3 bytes are
 *  reserved: they hold the failure's bg_reason (read it with bg_error_reason()). */
#define BG_ERROR_MESSAGE_SIZE 1024

/** Details of a failure. Plain struct owned by the caller (usually on the stack); copying it
 *  copies its reason too. */
typedef struct bg_error {
  bg_status code;                      /**< same value the function returned */
  int grpc_status;                     /**< gRPC status code (grpc_status_code), 0 if none */
  char message[BG_ERROR_MESSAGE_SIZE]; /**< NUL-terminated, UTF-8, control bytes escaped as by
                                            bg_text_escape(); the last 3 bytes are reserved
                                            (bg_error_reason()) */
} bg_error;

/** Why an operation failed, for the failures whose remedy a front end (a CLI, a binding) words
 *  in its own terms: the message names the library's functions and settings, the reason lets a
 *  front end name its own instead without reading the message. Stable: values are never
 *  renumbered; new ones may be added. */
typedef enum bg_reason {
  BG_REASON_NONE = 0, /**< no reason recorded: read bg_error::code and the message */
  /** Credentials (authorization metadata) refused on a plaintext channel to a loopback or unix:
   *  server: nothing was sent; TLS or bg_options_set_allow_insecure_credentials() sends them. */
  BG_REASON_INSECURE_CREDENTIALS = 1,
  /** Credentials refused on a plaintext channel to a server not on this machine: only TLS sends
   *  them (bg_options_set_allow_insecure_credentials() covers loopback and unix: servers only). */
  BG_REASON_INSECURE_CREDENTIALS_REMOTE = 2,
  /** The address carries user:password@, which gRPC has no place for; send credentials as call
   *  metadata (bg_call_options_set_bearer_token()). */
  BG_REASON_CREDENTIALS_IN_ADDRESS = 3,
  /** Discovery: the server serves bentoml.grpc.v1 without ServiceMetadata (BentoML 1.0.11); call
   *  it without discovery (bg_client_open() + bg_client_call_raw()). */
  BG_REASON_NO_DISCOVERY_V1 = 4,
  /** Discovery: the server serves only bentoml.grpc.v1alpha1 (BentoML 1.0.6 to 1.0.10); call it
   *  as v1alpha1 without discovery (bg_options_set_protocol_version()). */
  BG_REASON_NO_DISCOVERY_V1ALPHA1_ONLY = 5,
  /** Discovery: ServiceMetadata is UNIMPLEMENTED and the check that tells the two cases above
   *  apart did not answer: either remedy may apply. */
  BG_REASON_NO_DISCOVERY_UNKNOWN = 6,
  /** A client-side check of the input (validation) refused what the server may still accept;
   *  bg_call_options_set_validate(false) sends it anyway. */
  BG_REASON_VALIDATION = 7,
  /** The reply was larger than the client accepts: bg_options_set_max_receive_size(). */
  BG_REASON_REPLY_TOO_LARGE = 8,
  /** The TLS handshake failed: the CA (bg_options_set_root_certs_*), the name the certificate
   *  must carry (bg_options_set_authority()) or the client certificate
   *  (bg_options_set_client_cert_*) may be wrong. */
  BG_REASON_TLS_HANDSHAKE = 9,
  /** A plaintext client reached what looks like a TLS-only server: use TLS (grpcs://). */
  BG_REASON_TLS_REQUIRED = 10,
  /** bg_options_set_tls(false) together with TLS material on the same options. */
  BG_REASON_TLS_CONFLICT = 11,
  /** A default health check found no service name the server knows: name the service. */
  BG_REASON_HEALTH_SERVICE_UNKNOWN = 12
} bg_reason;

/** The reason recorded with a failure (see bg_reason).
 *  @param err a record the library filled, or NULL.
 *  @return the reason; BG_REASON_NONE for NULL, for a success (code BG_OK), or when the
 *          library recorded none. Thread-safe. */
BG_API bg_reason bg_error_reason(const bg_error *err);

/** A short constant name for a status.
 *  @param code any value, including ones outside bg_status.
 *  @return e.g. "BG_ERR_DEADLINE" (static storage, never NULL). Thread-safe. */
BG_API const char *bg_status_name(bg_status code);

/** @deprecated Use bg_status_name(); the old name is kept for this minor version only.
 *  @param code as for bg_status_name().
 *  @return as bg_status_name(). */
BG_DEPRECATED("use bg_status_name") BG_API const char *bg_status_str(bg_status code);

/** The gRPC name of a gRPC status code.
 *  @param grpc_status a grpc_status_code value, e.g. bg_error::grpc_status.
 *  @return e.g. "INVALID_ARGUMENT" (static storage). Thread-safe. */
BG_API const char *bg_grpc_status_name(int grpc_status);

/** @deprecated Use bg_grpc_status_name(); the old name is kept for this minor version only.
 *  @param grpc_status as for bg_grpc_status_name().
 *  @return as bg_grpc_status_name(). */
BG_DEPRECATED("use bg_grpc_status_name") BG_API const char *bg_grpc_status_str(int grpc_status);

/** Copy of text[0..len) safe to print to a terminal.
 *
 *  Each byte that is a C0 control other than TAB and LF, DEL (0x7f), part of a UTF-8-encoded
 *  C1 control (U+0080..U+009F) or not part of valid UTF-8 is written as `\xHH` (two lowercase
 *  hex digits); everything else, including a backslash, is copied unchanged, so escaping twice
 *  changes nothing. bg_error messages are escaped the same way, so bg_error::message never
 *  carries ESC, BEL or other control bytes. Thread-safe.
 *
 *  @param text the bytes (borrowed for the call); may hold NUL bytes (written as `\x00`);
 *              NULL is read as empty.
 *  @param len  number of bytes of `text`.
 *  @return a NUL-terminated, malloc'd copy the caller frees with bg_string_free(), or NULL
 *          when out of memory. */
BG_API char *bg_text_escape(const char *text, size_t len);

#ifdef __cplusplus
}
#endif
#endif
