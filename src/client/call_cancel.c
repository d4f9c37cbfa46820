/* bg_call_options_set_cancel_token, bg_call_options_set_cancel_fd: what can cancel the sync
 * calls made with a call options object. */
#include "client/options_internal.h"
#include "error_internal.h"

#include <string.h>

BG_API bg_status bg_call_options_set_cancel_token(bg_call_options *call_options,
                                                  bg_cancel_token *token, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (!call_options)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "call options is NULL");
  call_options->cancel = token;
  return BG_OK;
}

BG_API bg_status bg_call_options_set_cancel_fd(bg_call_options *call_options, int fd,
                                               const unsigned char *cancel_bytes, size_t count,
                                               bg_error *err) {
  BGI_ERROR_SINK(err);
  if (!call_options)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "call options is NULL");
  if (fd < -1)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "cancel fd %d is not a file descriptor; pass one, or -1 to stop watching", fd);
  if (!cancel_bytes && count)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "cancel_bytes is NULL but count is %zu; pass the bytes, or a count of 0 for "
                    "any byte",
                    count);
  bgi_cancel_fd *w = &call_options->cancel_fd;
  memset(w, 0, sizeof *w);
  w->fd = fd;
  w->any = count == 0;
  for (size_t i = 0; i < count; i++)
    w->bytes[cancel_bytes[i] >> 3] |= (uint8_t)(1u << (cancel_bytes[i] & 7));
  return BG_OK;
}
