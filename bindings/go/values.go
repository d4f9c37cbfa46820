package bentogrpc

// #include <stdlib.h>
// #include <bentogrpc/bentogrpc.h>
import "C"

import (
	"encoding/json"
	"unsafe"
)

// Input is a value to send: NDArray, JSON, Text, Bytes, File, FilePath or Multipart.
type Input interface{ isInput() }

// NDArray is a NumpyNdarray input or output. Data is one of []float32, []float64, []int32,
// []int64, []uint32, []uint64, []bool or []string, row-major, in Go's own (host) byte order;
// Shape defaults to [len(Data)] when nil. A non-nil empty Shape ([]int64{}) is a 0-d array
// (numpy shape (), one element): it is sent with an empty shape, which BentoML reads as 1-D,
// so an echo answers Shape [1]. Numeric inputs are sent from the slice itself, without a copy
// into C.
type NDArray struct {
	Data  any
	Shape []int64
}

// JSON is any value encoding/json can marshal (sent as google.protobuf.Value).
type JSON struct{ Value any }

// Text is a Text input.
type Text string

// Bytes is sent as serialized_bytes (the descriptor defines its meaning).
type Bytes []byte

// File is a File or Image input (or output) with an optional MIME type.
type File struct {
	Data []byte
	MIME string
}

// FilePath is a File input read from a path by the library.
type FilePath struct {
	Path string
	MIME string
}

// Multipart maps part names to inputs (not Multipart).
type Multipart map[string]Input

func (NDArray) isInput()   {}
func (JSON) isInput()      {}
func (Text) isInput()      {}
func (Bytes) isInput()     {}
func (File) isInput()      {}
func (FilePath) isInput()  {}
func (Multipart) isInput() {}

// Value is a call's output; the field for its Kind is set.
type Value struct {
	Kind      string // "ndarray", "json", "text", "file", "multipart", "bytes", ...
	NDArray   *NDArray
	JSON      json.RawMessage
	Text      string
	File      *File
	Bytes     []byte
	Multipart map[string]Value
}

// Decode unmarshals a JSON output into v.
func (v Value) Decode(out any) error { return json.Unmarshal(v.JSON, out) }

// the C dtype and element pointer/count of a numeric slice (nil pointer when empty)
func numeric(data any) (C.bg_dtype, unsafe.Pointer, int, bool) {
	switch d := data.(type) {
	case []float32:
		return C.BG_DTYPE_FLOAT, first(d), len(d), true
	case []float64:
		return C.BG_DTYPE_DOUBLE, first(d), len(d), true
	case []bool:
		return C.BG_DTYPE_BOOL, first(d), len(d), true
	case []int32:
		return C.BG_DTYPE_INT32, first(d), len(d), true
	case []int64:
		return C.BG_DTYPE_INT64, first(d), len(d), true
	case []uint32:
		return C.BG_DTYPE_UINT32, first(d), len(d), true
	case []uint64:
		return C.BG_DTYPE_UINT64, first(d), len(d), true
	}
	return 0, nil, 0, false
}

func first[T any](s []T) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Pointer(&s[0])
}

func shapeOf(a NDArray, count int) []int64 {
	if a.Shape == nil {
		return []int64{int64(count)}
	}
	return a.Shape
}

// cValue builds a value in C memory (a copy): for parts of a multipart and string arrays,
// whose Go pointers could not be handed to C inside another C structure (cgo's rule that
// C must not hold Go pointers after a call returns, nor store them in C memory).
func cValue(in Input) (*C.bg_value, error) {
	var err C.bg_error
	var v *C.bg_value
	switch x := in.(type) {
	case NDArray:
		shape := shapeOf(x, lenOf(x.Data))
		var sp *C.int64_t
		if len(shape) > 0 {
			sp = (*C.int64_t)(unsafe.Pointer(&shape[0]))
		}
		if strs, ok := x.Data.([]string); ok {
			cs := C.malloc(C.size_t(len(strs)+1) * C.size_t(unsafe.Sizeof(uintptr(0))))
			defer C.free(cs)
			arr := unsafe.Slice((**C.char)(cs), len(strs)+1)
			for i, s := range strs {
				arr[i] = C.CString(s)
				defer C.free(unsafe.Pointer(arr[i]))
			}
			v = C.bg_ndarray_copy(C.BG_DTYPE_STRING, sp, C.size_t(len(shape)), cs,
				C.size_t(len(strs)), &err)
		} else {
			dt, p, n, ok := numeric(x.Data)
			if !ok {
				return nil, invalid("NDArray.Data of type %T: use a slice of float32, "+
					"float64, int32, int64, uint32, uint64, bool or string", x.Data)
			}
			v = C.bg_ndarray_copy(dt, sp, C.size_t(len(shape)), p, C.size_t(n), &err)
		}
	case JSON:
		text, e := json.Marshal(x.Value)
		if e != nil {
			return nil, invalid("JSON input: %v", e)
		}
		ct := C.CBytes(text)
		defer C.free(ct)
		v = C.bg_json_parse((*C.char)(ct), C.size_t(len(text)), &err)
	case Text:
		ct := C.CString(string(x))
		defer C.free(unsafe.Pointer(ct))
		v = C.bg_text_new(ct, C.size_t(len(x)), &err)
	case Bytes:
		v = C.bg_bytes_copy(first([]byte(x)), C.size_t(len(x)), &err)
	case File:
		mime := cstrOrNil(x.MIME)
		defer C.free(unsafe.Pointer(mime))
		v = C.bg_file_copy(first(x.Data), C.size_t(len(x.Data)), mime, &err)
	case FilePath:
		path, mime := C.CString(x.Path), cstrOrNil(x.MIME)
		defer C.free(unsafe.Pointer(path))
		defer C.free(unsafe.Pointer(mime))
		v = C.bg_file_from_path(path, mime, &err)
	case Multipart:
		v = C.bg_multipart_new(&err)
		if v == nil {
			break
		}
		for name, part := range x {
			pv, e := cValue(part)
			if e != nil {
				C.bg_value_free(v)
				return nil, e
			}
			cn := C.CString(name)
			st := C.bg_multipart_add(v, cn, pv, &err)
			C.free(unsafe.Pointer(cn))
			if st != C.BG_OK {
				C.bg_value_free(v)
				return nil, fromC(&err)
			}
		}
	case nil:
		return nil, invalid("nil input")
	default:
		return nil, invalid("input of type %T: use NDArray, JSON, Text, Bytes, File, "+
			"FilePath or Multipart", in)
	}
	if v == nil {
		return nil, fromC(&err)
	}
	return v, nil
}

func cstrOrNil(s string) *C.char {
	if s == "" {
		return nil
	}
	return C.CString(s)
}

func lenOf(data any) int {
	if s, ok := data.([]string); ok {
		return len(s)
	}
	_, _, n, _ := numeric(data)
	return n
}

// goValue copies a value the library returned into Go memory.
func goValue(v *C.bg_value) Value {
	kind := C.bg_value_get_kind(v)
	out := Value{Kind: C.GoString(C.bg_value_kind_name(kind))}
	switch kind {
	case C.BG_VALUE_NDARRAY:
		ndim := int(C.bg_ndarray_ndim(v))
		shape := append([]int64(nil),
			unsafe.Slice((*int64)(unsafe.Pointer(C.bg_ndarray_shape(v))), ndim)...)
		out.NDArray = &NDArray{Shape: shape,
			Data: goSlice(C.bg_ndarray_dtype(v), C.bg_ndarray_data(v), int(C.bg_ndarray_count(v)))}
	case C.BG_VALUE_JSON:
		out.JSON = json.RawMessage(C.GoString(C.bg_json_text(v)))
	case C.BG_VALUE_TEXT:
		out.Text = C.GoStringN(C.bg_text_data(v), C.int(C.bg_text_length(v)))
	case C.BG_VALUE_FILE:
		out.File = &File{Data: C.GoBytes(C.bg_file_data(v), C.int(C.bg_file_size(v)))}
		if m := C.bg_file_mime(v); m != nil {
			out.File.MIME = C.GoString(m)
		}
	case C.BG_VALUE_BYTES:
		out.Bytes = C.GoBytes(C.bg_bytes_data(v), C.int(C.bg_bytes_size(v)))
	case C.BG_VALUE_MULTIPART:
		out.Multipart = map[string]Value{}
		for i := C.size_t(0); i < C.bg_multipart_count(v); i++ {
			out.Multipart[C.GoString(C.bg_multipart_name_at(v, i))] =
				goValue((*C.bg_value)(unsafe.Pointer(C.bg_multipart_part_at(v, i))))
		}
	}
	return out
}

// goSlice copies an output array out of C memory: a Go slice cannot own C memory (the
// collector does not see it, and a finalizer freeing it could free memory a kept sub-slice
// still points at), and the reply is freed before Call returns.
func goSlice(dt C.bg_dtype, p unsafe.Pointer, n int) any {
	switch dt {
	case C.BG_DTYPE_FLOAT:
		return copyOf[float32](p, n)
	case C.BG_DTYPE_DOUBLE:
		return copyOf[float64](p, n)
	case C.BG_DTYPE_BOOL:
		return copyOf[bool](p, n)
	case C.BG_DTYPE_INT32:
		return copyOf[int32](p, n)
	case C.BG_DTYPE_INT64:
		return copyOf[int64](p, n)
	case C.BG_DTYPE_UINT32:
		return copyOf[uint32](p, n)
	case C.BG_DTYPE_UINT64:
		return copyOf[uint64](p, n)
	case C.BG_DTYPE_STRING:
		out := make([]string, n)
		for i, s := range unsafe.Slice((**C.char)(p), n) {
			out[i] = C.GoString(s)
		}
		return out
	}
	return nil
}

func copyOf[T any](p unsafe.Pointer, n int) []T {
	out := make([]T, n)
	if n > 0 {
		copy(out, unsafe.Slice((*T)(p), n))
	}
	return out
}
