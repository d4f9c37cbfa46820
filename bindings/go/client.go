// Package bentogrpc calls BentoML gRPC servers through libbentogrpc (cgo).
//
//	c, err := bentogrpc.Dial(ctx, "localhost:3000")
//	defer c.Close()
//	out, err := c.Call(ctx, "predict", bentogrpc.NDArray{Data: []float32{5.9, 3, 5.1, 1.8},
//		Shape: []int64{1, 4}})
//
// A Client is safe for use from many goroutines. Each Call runs on the library's async
// client (one gRPC channel, one completion thread): the context's deadline becomes the
// call's gRPC deadline and cancelling the context cancels the call. APIs with custom IO
// descriptors (API.Supported false) are called raw (bg_async_call_raw), and a File input
// the server refuses as `file` is resent as serialized_bytes by the library, as for every
// libbentogrpc client.
package bentogrpc

// #cgo LDFLAGS: -lbentogrpc
// #include <stdlib.h>
// #include "bgo.h"
import "C"

import (
	"context"
	"runtime"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

type options struct {
	tls                         bool
	rootPEM, certPEM, keyPEM    []byte
	rootFile, certFile, keyFile string
	authority, compression      string
	defaultTimeout              time.Duration
	protocolVersion             string
}

// Option configures Dial.
type Option func(*options)

// WithTLS uses TLS (system roots unless WithRootCerts*) even for host:port URLs.
func WithTLS() Option { return func(o *options) { o.tls = true } }

// WithRootCerts verifies the server with these PEM CA certificates.
func WithRootCerts(pem []byte) Option { return func(o *options) { o.rootPEM = pem } }

// WithRootCertsFile verifies the server with the PEM CA certificates in path.
func WithRootCertsFile(path string) Option { return func(o *options) { o.rootFile = path } }

// WithClientCert authenticates the client (mutual TLS) with PEM certificate chain and key.
func WithClientCert(certPEM, keyPEM []byte) Option {
	return func(o *options) { o.certPEM, o.keyPEM = certPEM, keyPEM }
}

// WithClientCertFiles is WithClientCert from files.
func WithClientCertFiles(certPath, keyPath string) Option {
	return func(o *options) { o.certFile, o.keyFile = certPath, keyPath }
}

// WithAuthority overrides the :authority and the name the server certificate must carry.
func WithAuthority(name string) Option { return func(o *options) { o.authority = name } }

// WithCompression compresses requests: "gzip" or "deflate".
func WithCompression(name string) Option { return func(o *options) { o.compression = name } }

// WithProtocolVersion picks BentoML's protocol version, "v1" (the default) or "v1alpha1"
// (BentoML 1.0.6 to 1.0.10, or later releases serving protocol version v1alpha1 only);
// v1alpha1 has no discovery: use it with Open.
func WithProtocolVersion(version string) Option {
	return func(o *options) { o.protocolVersion = version }
}

// WithDefaultTimeout bounds calls whose context has no deadline.
func WithDefaultTimeout(d time.Duration) Option {
	return func(o *options) { o.defaultTimeout = d }
}

// API describes one API of the server: its name, docs and input and output descriptor ids
// (e.g. "bentoml.io.NumpyNdarray"). Supported is false when the library does not know a
// descriptor (custom IO): Call then sends the input raw, without client-side validation.
type API struct {
	Name, Docs, Input, Output string
	Supported                 bool
}

// Client is a connection to one BentoML server with its APIs discovered (Dial), or without
// discovery (Open).
type Client struct {
	mu     sync.RWMutex // calls start under RLock; Close takes the lock
	sync   *C.bg_client
	async  *C.bg_async_client
	apis   map[string]API
	closed bool
	raw    bool // made by Open: every call is raw
}

func ms(d time.Duration) C.int64_t {
	if d <= 0 {
		return 1
	}
	return C.int64_t((d + time.Millisecond - 1) / time.Millisecond)
}

func compression(name string) (C.bg_compression, error) {
	switch name {
	case "", "none":
		return C.BG_COMPRESSION_NONE, nil
	case "gzip":
		return C.BG_COMPRESSION_GZIP, nil
	case "deflate":
		return C.BG_COMPRESSION_DEFLATE, nil
	}
	return 0, invalid("compression %q: use \"gzip\" or \"deflate\"", name)
}

func buildOptions(ctx context.Context, o *options) (*C.bg_options, error) {
	opts := C.bg_options_new()
	if opts == nil {
		return nil, &Error{Code: NoMemory, Message: "bg_options_new"}
	}
	var err C.bg_error
	fail := func() (*C.bg_options, error) { C.bg_options_free(opts); return nil, fromC(&err) }
	cs := func(s string) *C.char { return C.CString(s) }
	if dl, ok := ctx.Deadline(); ok {
		if C.bg_options_set_discovery_timeout_ms(opts, ms(time.Until(dl)), &err) != C.BG_OK {
			return fail()
		}
	}
	if o.defaultTimeout > 0 &&
		C.bg_options_set_default_deadline_ms(opts, ms(o.defaultTimeout), &err) != C.BG_OK {
		return fail()
	}
	if o.protocolVersion != "" {
		v := cs(o.protocolVersion)
		st := C.bg_options_set_protocol_version(opts, v, &err)
		C.free(unsafe.Pointer(v))
		if st != C.BG_OK {
			return fail()
		}
	}
	if o.tls && C.bg_options_set_tls(opts, true, &err) != C.BG_OK {
		return fail()
	}
	if o.rootPEM != nil {
		p := C.CBytes(o.rootPEM)
		st := C.bg_options_set_root_certs_pem(opts, (*C.char)(p), C.size_t(len(o.rootPEM)), &err)
		C.free(p)
		if st != C.BG_OK {
			return fail()
		}
	}
	if o.rootFile != "" {
		p := cs(o.rootFile)
		st := C.bg_options_set_root_certs_file(opts, p, &err)
		C.free(unsafe.Pointer(p))
		if st != C.BG_OK {
			return fail()
		}
	}
	if o.certPEM != nil || o.keyPEM != nil {
		c, k := C.CBytes(o.certPEM), C.CBytes(o.keyPEM)
		st := C.bg_options_set_client_cert_pem(opts, (*C.char)(c), C.size_t(len(o.certPEM)),
			(*C.char)(k), C.size_t(len(o.keyPEM)), &err)
		C.free(c)
		C.free(k)
		if st != C.BG_OK {
			return fail()
		}
	}
	if o.certFile != "" || o.keyFile != "" {
		c, k := cs(o.certFile), cs(o.keyFile)
		st := C.bg_options_set_client_cert_file(opts, c, k, &err)
		C.free(unsafe.Pointer(c))
		C.free(unsafe.Pointer(k))
		if st != C.BG_OK {
			return fail()
		}
	}
	if o.authority != "" {
		a := cs(o.authority)
		st := C.bg_options_set_authority(opts, a, &err)
		C.free(unsafe.Pointer(a))
		if st != C.BG_OK {
			return fail()
		}
	}
	if o.compression != "" {
		c, e := compression(o.compression)
		if e != nil {
			C.bg_options_free(opts)
			return nil, e
		}
		if C.bg_options_set_compression(opts, c, &err) != C.BG_OK {
			return fail()
		}
	}
	return opts, nil
}

// Dial connects to url ("host:port", "grpc://", "grpcs://", "unix:/path") and discovers the
// server's APIs, within ctx's deadline. Close the client when done; a finalizer closes a
// forgotten one, but only Close says when.
func Dial(ctx context.Context, url string, opts ...Option) (*Client, error) {
	c, err := connect(ctx, url, opts, true)
	if err != nil {
		return nil, err
	}
	for i := C.size_t(0); i < C.bg_client_api_count(c.sync); i++ {
		a := C.bg_client_api_at(c.sync, i)
		api := API{Name: C.GoString(C.bg_api_name(a)), Docs: C.GoString(C.bg_api_docs(a)),
			Input:     C.GoString(C.bg_api_input_descriptor(a)),
			Output:    C.GoString(C.bg_api_output_descriptor(a)),
			Supported: bool(C.bg_api_is_supported(a))}
		c.apis[api.Name] = api
	}
	return c, nil
}

// connect makes the C clients of Dial (discover: bg_client_from_url) and Open
// (bg_client_open), the async one delivering on its own thread.
func connect(ctx context.Context, url string, opts []Option, discover bool) (*Client, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	copts, e := buildOptions(ctx, &o)
	if e != nil {
		return nil, e
	}
	defer C.bg_options_free(copts)
	curl := C.CString(url)
	defer C.free(unsafe.Pointer(curl))
	var err C.bg_error
	var sc *C.bg_client
	if discover {
		sc = C.bg_client_from_url(curl, copts, &err)
	} else {
		sc = C.bg_client_open(curl, copts, &err)
	}
	if sc == nil {
		e := fromC(&err)
		e.Message += noDiscoveryAdvice(C.bg_error_reason(&err))
		return nil, e
	}
	ac := C.bg_async_client_from_client(sc, C.BG_ASYNC_CALLBACK_THREAD, &err)
	if ac == nil {
		C.bg_client_close(sc)
		return nil, fromC(&err)
	}
	c := &Client{sync: sc, async: ac, apis: map[string]API{}, raw: !discover}
	runtime.SetFinalizer(c, (*Client).Close)
	return c, nil
}

// noDiscoveryAdvice is the Go remedy for a server without ServiceMetadata, chosen by the
// library's reason (bg_error_reason: BG_REASON_NO_DISCOVERY_*), or "".
func noDiscoveryAdvice(reason C.bg_reason) string {
	switch reason {
	case C.BG_REASON_NO_DISCOVERY_V1ALPHA1_ONLY:
		return " (Go: bentogrpc.Open(ctx, url, bentogrpc.WithProtocolVersion(\"v1alpha1\")) " +
			"calls its APIs without discovery: client.Call(ctx, \"API\", input))"
	case C.BG_REASON_NO_DISCOVERY_V1:
		return " (Go: bentogrpc.Open(ctx, url) calls its APIs without discovery: " +
			"client.Call(ctx, \"API\", input))"
	case C.BG_REASON_NO_DISCOVERY_UNKNOWN:
		return " (Go: bentogrpc.Open(ctx, url) calls APIs without discovery, with " +
			"bentogrpc.WithProtocolVersion(\"v1alpha1\") for BentoML 1.0.6 to 1.0.10)"
	}
	return ""
}

// Open connects to url WITHOUT discovering the server's APIs, for servers that have no
// ServiceMetadata: BentoML 1.0.11 (v1), and 1.0.6 to 1.0.10 (v1alpha1: add
// WithProtocolVersion("v1alpha1")); README "BentoML releases". APIs is empty and Call sends
// every input raw (bg_async_call_raw: its Go type picks the Request field, no client-side
// validation); Health works as with Dial. No RPC is made: a server that is not there shows
// at the first call.
func Open(ctx context.Context, url string, opts ...Option) (*Client, error) {
	return connect(ctx, url, opts, false)
}

// APIs lists the server's APIs.
func (c *Client) APIs() map[string]API { return c.apis }

// Close cancels calls in flight (they return Cancelled) and frees the client. Idempotent.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	runtime.SetFinalizer(c, nil)
	C.bg_async_client_close(c.async) // runs every pending callback before returning
	C.bg_client_close(c.sync)
	return nil
}

// CallOption configures one call.
type CallOption func(*callOptions)

type callOptions struct {
	metadata    [][2]string
	noValidate  bool
	compression string
}

// WithMetadata adds a request header (a "-bin" key carries raw bytes).
func WithMetadata(key, value string) CallOption {
	return func(o *callOptions) { o.metadata = append(o.metadata, [2]string{key, value}) }
}

// WithoutValidation skips the client-side descriptor checks; the server still checks.
func WithoutValidation() CallOption { return func(o *callOptions) { o.noValidate = true } }

// WithCallCompression compresses this call's request ("gzip" or "deflate").
func WithCallCompression(name string) CallOption {
	return func(o *callOptions) { o.compression = name }
}

func buildCallOptions(ctx context.Context, co []CallOption) (*C.bg_call_options, error) {
	var o callOptions
	for _, f := range co {
		f(&o)
	}
	opts := C.bg_call_options_new()
	if opts == nil {
		return nil, &Error{Code: NoMemory, Message: "bg_call_options_new"}
	}
	var err C.bg_error
	fail := func() (*C.bg_call_options, error) {
		C.bg_call_options_free(opts)
		return nil, fromC(&err)
	}
	if dl, ok := ctx.Deadline(); ok {
		if C.bg_call_options_set_deadline_ms(opts, ms(time.Until(dl)), &err) != C.BG_OK {
			return fail()
		}
	}
	for _, kv := range o.metadata {
		k, v := C.CString(kv[0]), C.CString(kv[1])
		st := C.bg_call_options_add_metadata(opts, k, v, C.size_t(len(kv[1])), &err)
		C.free(unsafe.Pointer(k))
		C.free(unsafe.Pointer(v))
		if st != C.BG_OK {
			return fail()
		}
	}
	if o.noValidate && C.bg_call_options_set_validate(opts, false, &err) != C.BG_OK {
		return fail()
	}
	if o.compression != "" {
		cmp, e := compression(o.compression)
		if e != nil {
			C.bg_call_options_free(opts)
			return nil, e
		}
		if C.bg_call_options_set_compression(opts, cmp, &err) != C.BG_OK {
			return fail()
		}
	}
	return opts, nil
}

// result of one call, sent by the library's callback thread
type result struct {
	status Status
	out    *C.bg_value
	err    *Error
}

//export bgoCallDone
func bgoCallDone(h C.uintptr_t, status C.int, out *C.bg_value, err *C.bg_error) {
	ch := cgo.Handle(h).Value().(chan result)
	r := result{status: Status(status), out: out}
	if status != C.BG_OK {
		r.err = fromC(err)
	}
	ch <- r // buffered: never blocks the library's thread
}

// Call calls API api with in and returns its output. ctx's deadline is the call's deadline
// (sent to the server); cancelling ctx cancels the call. Numeric NDArray, Bytes and File
// inputs are read from their Go slices during the call without a copy into C; other
// inputs are copied (see cValue). Errors are *Error. Safe from many goroutines.
//
// Like the library's sync client (and the Python clients), Call reaches APIs whose
// descriptors the library does not support (API.Supported is false: custom IO
// descriptors) without them, through bg_async_call_raw: no client-side validation, and the
// input's own type picks the Request field (Bytes -> serialized_bytes, Text -> text, ...).
// And a File or FilePath input that the server refuses as `file` (BentoML >= 1.0.16) is
// sent once more, as serialized_bytes, by the library (bg_async_call) within the call;
// later calls of that API send serialized_bytes at once.
func (c *Client) Call(ctx context.Context, api string, in Input, opts ...CallOption) (Value, error) {
	if err := ctx.Err(); err != nil {
		return Value{}, fromContext(ctx, api)
	}
	info, known := c.apis[api]
	raw := c.raw || (known && !info.Supported) // unknown names go through bg_async_call: UnknownAPI
	co, e := buildCallOptions(ctx, opts)
	if e != nil {
		return Value{}, e
	}
	defer C.bg_call_options_free(co)
	capi := C.CString(api)
	defer C.free(unsafe.Pointer(capi))

	ch := make(chan result, 1)
	h := cgo.NewHandle(ch)
	defer h.Delete()
	var call *C.bg_async_op
	var err C.bg_error
	var pre *C.bg_value // an input built in C memory (cValue), freed once the call started

	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return Value{}, &Error{Code: Cancelled, Message: "the client is closed"}
	}
	st, goErr := c.start(capi, raw, in, &pre, co, h, &call, &err)
	c.mu.RUnlock()
	if pre != nil {
		C.bg_value_free(pre)
	}
	if goErr != nil { // the input could not be built
		return Value{}, goErr
	}
	if st != C.BG_OK {
		return Value{}, fromC(&err)
	}
	defer C.bg_async_op_release(call)

	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		C.bg_async_op_cancel(call)
		r = <-ch
		if r.status == Cancelled || r.status == Deadline {
			if r.out != nil {
				C.bg_value_free(r.out)
			}
			return Value{}, fromContext(ctx, api)
		}
	}
	if r.err != nil {
		return Value{}, r.err
	}
	defer C.bg_value_free(r.out)
	return goValue(r.out), nil
}

// start starts one call (bg_async_call, or bg_async_call_raw when raw) under c.mu.RLock.
// Numeric NDArray, Bytes and File inputs are lent from their Go slices for this cgo call;
// any other input is built in C memory into *pre (borrowed by the call until it started).
func (c *Client) start(capi *C.char, raw bool, in Input, pre **C.bg_value, co *C.bg_call_options,
	h cgo.Handle, call **C.bg_async_op, err *C.bg_error) (C.bg_status, error) {
	r := C.int(0)
	if raw {
		r = 1
	}
	switch x := in.(type) {
	case NDArray:
		if dt, p, n, ok := numeric(x.Data); ok {
			shape := shapeOf(x, n)
			var sp *C.int64_t
			if len(shape) > 0 {
				sp = (*C.int64_t)(unsafe.Pointer(&shape[0]))
			}
			return C.bgo_start(c.async, capi, r, C.BGO_NDARRAY, C.int(dt), sp,
				C.size_t(len(shape)), p, C.size_t(n), nil, nil, co, C.uintptr_t(h), call,
				err), nil
		}
	case Bytes:
		return C.bgo_start(c.async, capi, r, C.BGO_BYTES, 0, nil, 0, first([]byte(x)),
			C.size_t(len(x)), nil, nil, co, C.uintptr_t(h), call, err), nil
	case File:
		mime := cstrOrNil(x.MIME)
		defer C.free(unsafe.Pointer(mime))
		return C.bgo_start(c.async, capi, r, C.BGO_FILE, 0, nil, 0, first(x.Data),
			C.size_t(len(x.Data)), mime, nil, co, C.uintptr_t(h), call, err), nil
	}
	v, e := cValue(in)
	if e != nil {
		return C.BG_ERR_INVALID_ARGUMENT, e
	}
	*pre = v
	return C.bgo_start(c.async, capi, r, 0, 0, nil, 0, nil, 0, nil, *pre, co, C.uintptr_t(h),
		call, err), nil
}

// Health checks the serving status of the server's BentoService ("SERVING", ...).
func (c *Client) Health(ctx context.Context) (string, error) {
	timeout := 5 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return "", &Error{Code: Cancelled, Message: "the client is closed"}
	}
	var st C.bg_health_status
	var err C.bg_error
	if C.bg_client_health(c.sync, nil, ms(timeout), &st, &err) != C.BG_OK {
		return "", fromC(&err)
	}
	return C.GoString(C.bg_health_status_name(st)), nil
}
