/* bg_call_options_set_cancel_token: ties a call options object to a cancel token. */
#include "client/options_internal.h"
#include "error_internal.h"

BG_API bg_status bg_call_options_set_cancel_token(bg_call_options *call_options,
                                                  bg_cancel_token *token, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (!call_options)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "call options is NULL");
  call_options->cancel = token;
  return BG_OK;
}
