package bentogrpc_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bentogrpc "github.com/libbentogrpc/bentogrpc-go"
)

var url string

// startServer runs the reference server (tests/server) and returns its address.
func startServer(args ...string) (string, func(), error) {
	src := os.Getenv("BENTOGRPC_SOURCE_DIR")
	if src == "" {
		src = "../.."
	}
	cmd := exec.Command("/usr/bin/python3",
		append([]string{filepath.Join(src, "tests/server/reference_server.py")}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	line, err := bufio.NewReader(out).ReadString('\n')
	var port int
	if _, e := fmt.Sscanf(line, "PORT %d", &port); err != nil || e != nil {
		stop()
		return "", nil, fmt.Errorf("reference server did not start: %q %v", line, err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port), stop, nil
}

func TestMain(m *testing.M) {
	u, stop, err := startServer("--slow-ms", "5000")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	url = u
	code := m.Run()
	stop()
	os.Exit(code)
}

func dial(t *testing.T, opts ...bentogrpc.Option) *bentogrpc.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := bentogrpc.Dial(ctx, url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func call(t *testing.T, c *bentogrpc.Client, api string, in bentogrpc.Input,
	opts ...bentogrpc.CallOption) bentogrpc.Value {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := c.Call(ctx, api, in, opts...)
	if err != nil {
		t.Fatalf("%s: %v", api, err)
	}
	return out
}

func TestPredictAndDtypes(t *testing.T) {
	c := dial(t)
	if api := c.APIs()["predict"]; api.Docs != "Sum each row of an N×4 float32 batch." {
		t.Fatalf("docs: %+v", api)
	}
	out := call(t, c, "predict", bentogrpc.NDArray{Data: []float32{1, 2, 3, 4, 5, 6, 7, 8},
		Shape: []int64{2, 4}})
	if got := out.NDArray.Data.([]float32); len(got) != 2 || got[0] != 10 || got[1] != 26 {
		t.Fatalf("predict: %v", got)
	}
	inputs := []any{[]float64{1.5, -2}, []int32{1, -2}, []int64{1 << 40, -2}, []uint32{1, 2},
		[]uint64{1 << 60, 2}, []bool{true, false}}
	for _, data := range inputs {
		out := call(t, c, "echo_ndarray", bentogrpc.NDArray{Data: data, Shape: []int64{1, 2}})
		if fmt.Sprint(out.NDArray.Data) != fmt.Sprint(data) ||
			fmt.Sprintf("%T", out.NDArray.Data) != fmt.Sprintf("%T", data) ||
			fmt.Sprint(out.NDArray.Shape) != "[1 2]" {
			t.Fatalf("echo %T: got %v %v", data, out.NDArray.Data, out.NDArray.Shape)
		}
	}
	big := make([]float64, 1<<20)
	for i := range big {
		big[i] = float64(i)
	}
	got := call(t, c, "echo_ndarray", bentogrpc.NDArray{Data: big}).NDArray.Data.([]float64)
	if len(got) != len(big) || got[len(big)-1] != float64(len(big)-1) {
		t.Fatal("8 MB float64 echo differs")
	}
}

func TestJSONTextBytes(t *testing.T) {
	c := dial(t)
	out := call(t, c, "echo_json", bentogrpc.JSON{Value: map[string]any{"a": []int{1, 2}, "b": "é"}})
	var v struct {
		A []float64
		B string
	}
	if err := out.Decode(&v); err != nil || len(v.A) != 2 || v.B != "é" {
		t.Fatalf("json: %s %v", out.JSON, err)
	}
	if got := call(t, c, "bonjour", bentogrpc.Text("Go")).Text; got != "Hello, Go!" {
		t.Fatalf("text: %q", got)
	}
	if got := call(t, c, "echo_metadata", bentogrpc.Text(""),
		bentogrpc.WithMetadata("x-echo", "hdr")).Text; got != "hdr" {
		t.Fatalf("metadata: %q", got)
	}
	// a JSON output from an ndarray input, with request compression
	out = call(t, c, "echo_size", bentogrpc.NDArray{Data: make([]float64, 4096)},
		bentogrpc.WithCallCompression("gzip"))
	var size struct{ Nbytes float64 }
	if err := out.Decode(&size); err != nil || size.Nbytes != 4096*8 {
		t.Fatalf("echo_size: %s", out.JSON)
	}
}

func TestFilesAndMultipart(t *testing.T) {
	u, stop, err := startServer("--file-mode", "intended")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx := context.Background()
	c, err := bentogrpc.Dial(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out := call(t, c, "predict_file", bentogrpc.File{Data: []byte("%PDF-1"), MIME: "application/pdf"})
	if string(out.File.Data) != "%PDF-1" {
		t.Fatalf("file: %+v", out.File)
	}
	path := filepath.Join(t.TempDir(), "x.bin")
	if err := os.WriteFile(path, []byte{0, 1, 2}, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := call(t, c, "predict_file", bentogrpc.FilePath{Path: path}).File.Data; !bytes.Equal(got, []byte{0, 1, 2}) {
		t.Fatalf("file path: %v", got)
	}
	img := bmp(2, 2, 3)
	mp := call(t, c, "predict_multi_images", bentogrpc.Multipart{
		"original": bentogrpc.File{Data: img, MIME: "image/bmp"},
		"compared": bentogrpc.File{Data: img, MIME: "image/bmp"}})
	if mp.Multipart["meta"].Text != "success" || mp.Multipart["result"].File == nil {
		t.Fatalf("multipart: %+v", mp.Multipart)
	}
}

// APIs whose descriptors the library does not know are called raw (bg_async_call_raw), as
// the sync C client and the Python clients do: the input's type picks the Request field.
func TestCustomIOCalledRaw(t *testing.T) {
	c := dial(t)
	if api := c.APIs()["custom_io"]; api.Supported || api.Input != "acme.io.Custom" {
		t.Fatalf("custom_io: %+v", api)
	}
	if got := call(t, c, "custom_io", bentogrpc.Bytes("abcd")).Text; got != "custom:4" {
		t.Fatalf("custom_io: %q", got)
	}
	// no_spec takes text or serialized_bytes: every way an input reaches C (lent Go slices,
	// values built in C) goes out raw, in the field its type picks, for the server to judge
	path := filepath.Join(t.TempDir(), "x.bin")
	if err := os.WriteFile(path, []byte("xyz"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in    bentogrpc.Input
		field string // "" for accepted
	}{{bentogrpc.Text("hi"), ""}, {bentogrpc.Bytes("hi"), ""},
		{bentogrpc.NDArray{Data: []float32{1, 2}}, "ndarray"},
		{bentogrpc.NDArray{Data: []string{"a"}}, "ndarray"},
		{bentogrpc.JSON{Value: 1}, "json"}, {bentogrpc.FilePath{Path: path}, "file"},
		{bentogrpc.File{Data: []byte("%PDF-1"), MIME: "application/pdf"}, "file"}} {
		out, err := c.Call(context.Background(), "no_spec", tc.in)
		var e *bentogrpc.Error
		if tc.field == "" && (err != nil || out.Text != "ok") {
			t.Fatalf("no_spec %T: %q %v", tc.in, out.Text, err)
		}
		if tc.field != "" && (!errors.As(err, &e) || e.Code != bentogrpc.Server ||
			!strings.Contains(e.Message, "got '"+tc.field+"' instead")) {
			t.Fatalf("no_spec %T: want the server's refusal of %q, got %v", tc.in, tc.field, err)
		}
	}
	// options apply to raw calls too
	if got := call(t, c, "custom_io", bentogrpc.Bytes("ab"), bentogrpc.WithMetadata("x-a", "1"),
		bentogrpc.WithCallCompression("gzip")).Text; got != "custom:2" {
		t.Fatalf("custom_io with options: %q", got)
	}
	// no client-side validation: the server judges the field the input picked
	_, err := c.Call(context.Background(), "custom_io", bentogrpc.Text("text"))
	var e *bentogrpc.Error
	if !errors.As(err, &e) || e.Code != bentogrpc.Server || e.GRPCStatusName() != "INVALID_ARGUMENT" ||
		!strings.Contains(e.Message, "got 'text' instead") {
		t.Fatalf("raw text: %v", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := 1; i <= 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out, err := c.Call(context.Background(), "custom_io", bentogrpc.Bytes(bytes.Repeat([]byte("x"), i)))
			if err == nil && out.Text != fmt.Sprintf("custom:%d", i) {
				err = fmt.Errorf("custom_io %d: %q", i, out.Text)
			}
			if err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Servers without ServiceMetadata (README "BentoML releases"): Dial's error names Open, and
// Open (with WithProtocolVersion("v1alpha1") for 1.0.6 to 1.0.10) calls them raw.
func TestRawOpenForServersWithoutDiscovery(t *testing.T) {
	for _, tc := range []struct {
		release, advice string
		opts            []bentogrpc.Option
	}{{"1.0.11", "bentogrpc.Open(ctx, url) calls its APIs without discovery", nil},
		{"1.0.10", `bentogrpc.Open(ctx, url, bentogrpc.WithProtocolVersion("v1alpha1"))`,
			[]bentogrpc.Option{bentogrpc.WithProtocolVersion("v1alpha1")}}} {
		u, stop, err := startServer("--bentoml-release", tc.release)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err = bentogrpc.Dial(ctx, u)
		var e *bentogrpc.Error
		if !errors.As(err, &e) || e.Code != bentogrpc.Server || e.GRPCCode != 12 ||
			!strings.Contains(e.Message, tc.advice) {
			t.Errorf("%s: Dial: want UNIMPLEMENTED naming %q, got %v", tc.release, tc.advice, err)
		}
		c, err := bentogrpc.Open(ctx, u, tc.opts...)
		if err != nil {
			t.Fatalf("%s: Open: %v", tc.release, err)
		}
		if len(c.APIs()) != 0 {
			t.Errorf("%s: Open lists APIs: %v", tc.release, c.APIs())
		}
		if out, err := c.Call(ctx, "bonjour", bentogrpc.Text("old")); err != nil || out.Text != "Hello, old!" {
			t.Errorf("%s: raw call: %q %v", tc.release, out.Text, err)
		}
		if h, err := c.Health(ctx); err != nil || h != "SERVING" {
			t.Errorf("%s: health: %q %v", tc.release, h, err)
		}
		c.Close()
		cancel()
		stop()
	}
}

// The reference server refuses `file` like BentoML >= 1.0.16 (PROTOCOL.md §4.6). The C sync
// client then resends the input as serialized_bytes, which gets past decoding to the server's
// File output failure (INTERNAL); Call must do the same on the first call of a client, not
// report the refusal (INVALID_ARGUMENT), for every File input form.
func TestFileRefusedAsFileIsResent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.pdf")
	if err := os.WriteFile(path, []byte("%PDF-1"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, in := range []bentogrpc.Input{bentogrpc.File{Data: []byte("%PDF-1"), MIME: "application/pdf"},
		bentogrpc.FilePath{Path: path, MIME: "application/pdf"}} {
		c := dial(t)                                // a new client sends `file` first
		for attempt := 1; attempt <= 2; attempt++ { // resent, then serialized_bytes at once
			_, err := c.Call(context.Background(), "predict_file", in)
			var e *bentogrpc.Error
			if !errors.As(err, &e) || e.Code != bentogrpc.Server || e.GRPCStatusName() != "INTERNAL" ||
				!strings.Contains(e.Message, "An error has occurred in BentoML user code") {
				t.Fatalf("%T call %d: %v", in, attempt, err)
			}
		}
	}
	// a context that ends first still ends the call, resend or not
	c := dial(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Call(ctx, "predict_file", bentogrpc.File{Data: []byte("x")})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// bmp is a w×h 24-bit BMP whose every byte is v.
func bmp(w, h int, v byte) []byte {
	row := (w*3 + 3) &^ 3
	var b bytes.Buffer
	le := func(x any) { _ = binary.Write(&b, binary.LittleEndian, x) }
	b.WriteString("BM")
	le(uint32(54 + row*h))
	le(uint32(0))
	le(uint32(54))
	le(uint32(40))
	le(int32(w))
	le(int32(h))
	le(uint16(1))
	le(uint16(24))
	le([6]uint32{0, uint32(row * h), 2835, 2835, 0, 0})
	b.Write(bytes.Repeat([]byte{v}, row*h))
	return b.Bytes()
}

// A non-nil empty Shape is a 0-d array: one element, sent with an empty shape, which the
// server reads as (1,); the client's check of an enforced shape agrees.
func TestZeroDimensional(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	out := call(t, c, "double_ndarray", bentogrpc.NDArray{Data: []float64{2.5}, Shape: []int64{}})
	if fmt.Sprint(out.NDArray.Data, out.NDArray.Shape) != "[5] [1]" {
		t.Fatalf("0-d doubled: %v %v", out.NDArray.Data, out.NDArray.Shape)
	}
	out = call(t, c, "echo_ndarray", bentogrpc.NDArray{Data: []float32{1.5}, Shape: []int64{}})
	if fmt.Sprint(out.NDArray.Data, out.NDArray.Shape) != "[1.5] [1]" {
		t.Fatalf("0-d float32 echo: %v %v", out.NDArray.Data, out.NDArray.Shape)
	}
	var e *bentogrpc.Error
	_, err := c.Call(ctx, "echo_ndarray", bentogrpc.NDArray{Data: []int64{1, 2}, Shape: []int64{}})
	if !errors.As(err, &e) || e.Code != bentogrpc.InvalidArgument ||
		!strings.Contains(e.Message, "holds 1 element but 2 were given") {
		t.Fatalf("0-d with two elements: %v", err)
	}
	_, err = c.Call(ctx, "predict", bentogrpc.NDArray{Data: []float32{1}, Shape: []int64{}})
	if !errors.As(err, &e) || e.Code != bentogrpc.InvalidArgument ||
		!strings.Contains(e.Message, "but (1,) was given") {
		t.Fatalf("0-d against an enforced shape: %v", err)
	}
}

func TestErrors(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	_, err := c.Call(ctx, "nope", bentogrpc.Text("x"))
	var e *bentogrpc.Error
	if !errors.As(err, &e) || e.Code != bentogrpc.UnknownAPI || !strings.Contains(e.Message, "predict") {
		t.Fatalf("unknown api: %v", err)
	}
	_, err = c.Call(ctx, "echo_ndarray_enforce_shape", bentogrpc.NDArray{Data: []float64{1, 2, 3}})
	if !errors.As(err, &e) || e.Code != bentogrpc.InvalidArgument {
		t.Fatalf("validation: %v", err)
	}
	_, err = c.Call(ctx, "echo_ndarray_enforce_shape", bentogrpc.NDArray{Data: []float64{1, 2, 3}},
		bentogrpc.WithoutValidation())
	if !errors.As(err, &e) || e.Code != bentogrpc.Server || e.GRPCCode != 3 ||
		e.GRPCStatusName() != "INVALID_ARGUMENT" {
		t.Fatalf("server validation: %v", err)
	}
	_, err = c.Call(ctx, "fail_with_status", bentogrpc.Text("NOT_FOUND|gone"))
	if !errors.As(err, &e) || e.GRPCCode != 5 || !strings.Contains(e.Message, "gone") {
		t.Fatalf("status: %v", err)
	}
	_, err = c.Call(ctx, "echo_ndarray", bentogrpc.NDArray{Data: []complex64{1}})
	if !errors.As(err, &e) || e.Code != bentogrpc.InvalidArgument {
		t.Fatalf("bad dtype: %v", err)
	}
	_, err = c.Call(ctx, "echo_ndarray", bentogrpc.NDArray{Data: []float32{1, 2, 3}, Shape: []int64{2, 2}})
	if !errors.As(err, &e) || e.Code != bentogrpc.InvalidArgument {
		t.Fatalf("shape mismatch: %v", err)
	}
	if _, err = bentogrpc.Dial(ctx, "localhost"); !errors.As(err, &e) || e.Code != bentogrpc.InvalidArgument {
		t.Fatalf("bad url: %v", err)
	}
}

func TestDeadlineAndCancel(t *testing.T) {
	c := dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Call(ctx, "slow_echo_ndarray", bentogrpc.NDArray{Data: []float64{1}})
	var e *bentogrpc.Error
	// the context's deadline ends the call: locally, or as the gRPC deadline it became
	if !errors.As(err, &e) || e.Code != bentogrpc.Deadline ||
		(!errors.Is(err, context.DeadlineExceeded) && e.GRPCCode != 4) {
		t.Fatalf("deadline: %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Call(ctx2, "slow_echo_ndarray", bentogrpc.NDArray{Data: []float64{1}})
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel2()
	err = <-done // returns without waiting out the server's 5 s
	if !errors.As(err, &e) || e.Code != bentogrpc.Cancelled || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
	if got := call(t, c, "bonjour", bentogrpc.Text("after")).Text; got != "Hello, after!" {
		t.Fatal(got)
	}
}

func TestConcurrentCalls(t *testing.T) {
	c := dial(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 8; i++ {
				x := float32(g*100 + i)
				out, err := c.Call(context.Background(), "predict",
					bentogrpc.NDArray{Data: []float32{x, x, x, x}, Shape: []int64{1, 4}})
				if err != nil {
					errs <- err
					return
				}
				if got := out.NDArray.Data.([]float32)[0]; got != 4*x {
					errs <- fmt.Errorf("goroutine %d call %d: %v != %v", g, i, got, 4*x)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCloseCancelsCallsInFlight(t *testing.T) {
	ctx := context.Background()
	c, err := bentogrpc.Dial(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Call(ctx, "slow_echo_ndarray", bentogrpc.NDArray{Data: []float64{1}})
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	c.Close()
	var e *bentogrpc.Error
	if err := <-done; !errors.As(err, &e) || e.Code != bentogrpc.Cancelled {
		t.Fatalf("close: %v", err)
	}
	if _, err := c.Call(ctx, "bonjour", bentogrpc.Text("x")); !errors.As(err, &e) || e.Code != bentogrpc.Cancelled {
		t.Fatalf("after close: %v", err)
	}
	c.Close()
}

func TestHealthAndTLS(t *testing.T) {
	c := dial(t)
	if s, err := c.Health(context.Background()); err != nil || s != "SERVING" {
		t.Fatalf("health: %s %v", s, err)
	}
	dir := t.TempDir()
	src := os.Getenv("BENTOGRPC_SOURCE_DIR")
	if src == "" {
		src = "../.."
	}
	if out, err := exec.Command("bash", filepath.Join(src, "tests/support/make_certs.sh"), dir).CombinedOutput(); err != nil {
		t.Fatalf("make_certs: %v %s", err, out)
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	u, stop, err := startServer("--tls-cert", p("server.pem"), "--tls-key", p("server.key"),
		"--tls-ca", p("ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ca, _ := os.ReadFile(p("ca.pem"))
	tc, err := bentogrpc.Dial(context.Background(), u, bentogrpc.WithRootCerts(ca),
		bentogrpc.WithClientCertFiles(p("client.pem"), p("client.key")))
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if got := call(t, tc, "bonjour", bentogrpc.Text("tls")).Text; got != "Hello, tls!" {
		t.Fatal(got)
	}
}

// The module and the library it is built against come from one repository version.
func TestVersionMatchesLibrary(t *testing.T) {
	if bentogrpc.Version != bentogrpc.LibraryVersion() {
		t.Fatalf("bentogrpc.Version %q, the loaded library's bg_version() %q",
			bentogrpc.Version, bentogrpc.LibraryVersion())
	}
}
