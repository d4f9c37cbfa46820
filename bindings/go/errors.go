package bentogrpc

// #include <bentogrpc/bentogrpc.h>
import "C"

import (
	"context"
	"fmt"
)

// Status is the library's result code (bg_status).
type Status int

// The library's status codes (include/bentogrpc/common.h).
const (
	OK              Status = 0
	InvalidArgument Status = 1
	NoMemory        Status = 2
	Unavailable     Status = 3
	Deadline        Status = 4
	Server          Status = 5
	Protocol        Status = 6
	UnknownAPI      Status = 7
	Unsupported     Status = 8
	Timeout         Status = 9
	Cancelled       Status = 10
	Internal        Status = 11
	// Forked: a client made before fork() was used in the child process. Go programs do not
	// fork without exec, so a Go caller meets it only through C code that forks.
	Forked Status = 12
)

func (s Status) String() string { return C.GoString(C.bg_status_name(C.bg_status(s))) }

// Error is a failed operation: the library's Code, the gRPC status code the server or the
// transport gave (GRPCCode, 0 if none) and a message that says what to do. A call ended by
// its context unwraps to ctx.Err(), so errors.Is(err, context.DeadlineExceeded) works.
type Error struct {
	Code     Status
	GRPCCode int
	Message  string
	cause    error
}

func (e *Error) Error() string { return e.Code.String() + ": " + e.Message }

// Unwrap returns the context error that ended the call, if any.
func (e *Error) Unwrap() error { return e.cause }

// GRPCStatusName is the gRPC name of GRPCCode, e.g. "INVALID_ARGUMENT".
func (e *Error) GRPCStatusName() string {
	return C.GoString(C.bg_grpc_status_name(C.int(e.GRPCCode)))
}

func fromC(err *C.bg_error) *Error {
	return &Error{Code: Status(err.code), GRPCCode: int(err.grpc_status),
		Message: C.GoString(&err.message[0])}
}

func invalid(format string, args ...any) *Error {
	return &Error{Code: InvalidArgument, Message: fmt.Sprintf(format, args...)}
}

// fromContext is the error of a call its context ended before the library reported.
func fromContext(ctx context.Context, api string) *Error {
	if ctx.Err() == context.DeadlineExceeded {
		return &Error{Code: Deadline, GRPCCode: 4, cause: ctx.Err(),
			Message: fmt.Sprintf("call %q: the context's deadline passed", api)}
	}
	return &Error{Code: Cancelled, GRPCCode: 1, cause: ctx.Err(),
		Message: fmt.Sprintf("call %q: the context was cancelled", api)}
}
