package llm_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// heapUse is what one call cost in memory: the bytes it allocated (an
// upper bound of its peak heap), and the peak of the live heap above the
// starting point, sampled after garbage collections forced back to back
// while the call ran.
type heapUse struct {
	total, peak uint64
}

func (h heapUse) String() string {
	return fmt.Sprintf("allocated %.2f MiB, peak live heap %.2f MiB", float64(h.total)/(1<<20), float64(h.peak)/(1<<20))
}

// measureHeap runs f and reports its heap use. Tests using it do not run
// in parallel, so the figures are f's own (and its test server's).
func measureHeap(f func()) heapUse {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	base := read()
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			runtime.GC()
			if v := read(); v > base && v-base > peak {
				peak = v - base
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	runtime.ReadMemStats(&after)
	return heapUse{total: after.TotalAlloc - before.TotalAlloc, peak: peak}
}

// measureStreamHeap runs f, which calls probe from its stream function,
// and reports its heap use. The live heap is measured by probe itself,
// after a collection while the stream is paused in the stream function:
// a sampler running beside a stream allocating this fast would count the
// allocations made during its own collections as live.
func measureStreamHeap(f func(probe func())) heapUse {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	base := read()
	var peak uint64
	n := 0
	f(func() {
		if n++; n%1024 != 0 {
			return
		}
		runtime.GC()
		if v := read(); v > base && v-base > peak {
			peak = v - base
		}
	})
	runtime.ReadMemStats(&after)
	return heapUse{total: after.TotalAlloc - before.TotalAlloc, peak: peak}
}

// hostile serves a response written by write, after the given headers.
func hostile(t *testing.T, header map[string]string, write func(w io.Writer) error) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(200)
		_ = write(w)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// repeat writes n bytes of b's repetition, from one fixed buffer.
func repeat(w io.Writer, b byte, n int64) error {
	buf := bytes.Repeat([]byte{b}, 64<<10)
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := w.Write(buf[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

var (
	bombOnce sync.Once
	bomb     []byte // gzip of bombSize bytes of '0'
)

// bombSize is what the gzip bomb expands to: 512 MiB (32 MiB under the
// race detector, where compressing 512 MiB takes minutes).
func bombSize() int64 {
	if raceEnabled {
		return 32 << 20
	}
	return 512 << 20
}

func gzipBomb(testing.TB) []byte {
	bombOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		if err := repeat(zw, '0', bombSize()); err != nil {
			panic(err)
		}
		zw.Close()
		bomb = b.Bytes()
	})
	return bomb
}

func wantLimit(t *testing.T, err error, limit string, value int64) *llm.LimitError {
	t.Helper()
	var le *llm.LimitError
	if !errors.Is(err, llm.ErrResponseTooLarge) || !errors.As(err, &le) || le.Limit != limit || le.Value != value {
		t.Fatalf("err = %v, want a %s limit of %d", err, limit, value)
	}
	if !strings.Contains(err.Error(), "Limits."+limit+" ("+strconv.FormatInt(value, 10)+" bytes)") {
		t.Fatalf("error does not name the limit and its value: %v", err)
	}
	return le
}

func limitModel(t *testing.T, model, base string, lim llm.Limits, opts ...llm.Option) *llm.Model {
	t.Helper()
	opts = append([]llm.Option{llm.WithAPIKey(testKey), llm.WithAPIBase(base), llm.WithLimits(lim), llm.WithTimeout(time.Minute)}, opts...)
	m, err := llm.New(model, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func checkHeap(t *testing.T, name string, h heapUse, limit int64, boundTotal bool) {
	t.Helper()
	t.Logf("%s (limit %d MiB): %v", name, limit>>20, h)
	if h.peak > uint64(2*limit) {
		t.Fatalf("%s: peak heap %d bytes > 2 × limit %d", name, h.peak, limit)
	}
	if boundTotal && h.total > uint64(2*limit) {
		t.Fatalf("%s: allocated %d bytes > 2 × limit %d", name, h.total, limit)
	}
}

const mib = 1 << 20

// A 100 MB server-sent-event line stops at MaxEventBytes, on every wire.
func TestLimitHugeSSELine(t *testing.T) {
	for _, model := range []string{"gpt-4o", "claude-sonnet-4-5", "gemini/gemini-2.0-flash"} {
		srv := hostile(t, map[string]string{"Content-Type": "text/event-stream"}, func(w io.Writer) error {
			io.WriteString(w, "data: {\"x\":\"")
			return repeat(w, 'a', 100<<20)
		})
		base := srv.URL
		if model == "gpt-4o" {
			base += "/v1"
		}
		m := limitModel(t, model, base, llm.Limits{MaxEventBytes: mib})
		var err error
		h := measureHeap(func() {
			req, _ := streamReq()
			_, err = m.Complete(context.Background(), req)
		})
		wantLimit(t, err, "MaxEventBytes", mib)
		checkHeap(t, "100 MB SSE line, "+model, h, mib, true)
	}
}

// A 100 MB JSON body stops at MaxResponseBytes, with and without a
// Content-Length (which is refused before reading).
func TestLimitHugeJSONBody(t *testing.T) {
	const size = 100 << 20
	for _, withLength := range []bool{false, true} {
		header := map[string]string{"Content-Type": "application/json"}
		if withLength {
			header["Content-Length"] = strconv.Itoa(size)
		}
		srv := hostile(t, header, func(w io.Writer) error {
			io.WriteString(w, `{"id":"x","choices":[{"message":{"content":"`)
			return repeat(w, 'a', size-64)
		})
		m := limitModel(t, "gpt-4o", srv.URL+"/v1", llm.Limits{MaxResponseBytes: 2 * mib})
		var err error
		h := measureHeap(func() { _, err = m.Complete(context.Background(), userReq("hi")) })
		le := wantLimit(t, err, "MaxResponseBytes", 2*mib)
		if withLength != strings.Contains(le.What, "Content-Length 104857600") {
			t.Fatalf("what = %q", le.What)
		}
		checkHeap(t, fmt.Sprintf("100 MB JSON body (Content-Length %v)", withLength), h, 2*mib, true)
	}
}

// A gzip bomb (509 KiB expanding to 512 MiB) stops at
// MaxResponseBytes counted after decompression, whether the transport
// decompresses it or, when the request sets its own Accept-Encoding, the
// model does.
func TestLimitGzipBomb(t *testing.T) {
	b := gzipBomb(t)
	t.Logf("gzip bomb: %d KiB expanding to %d MiB", len(b)>>10, bombSize()>>20)
	for _, manual := range []bool{false, true} {
		srv := hostile(t, map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"},
			func(w io.Writer) error { _, err := w.Write(b); return err })
		var opts []llm.Option
		if manual {
			opts = append(opts, llm.WithHeaders(map[string]string{"Accept-Encoding": "gzip"}))
		}
		m := limitModel(t, "gpt-4o", srv.URL+"/v1", llm.Limits{MaxResponseBytes: 4 * mib}, opts...)
		var err error
		h := measureHeap(func() { _, err = m.Complete(context.Background(), userReq("hi")) })
		le := wantLimit(t, err, "MaxResponseBytes", 4*mib)
		if !strings.Contains(le.What, "after gzip decompression") {
			t.Fatalf("what = %q", le.What)
		}
		checkHeap(t, fmt.Sprintf("gzip bomb (decompressed by the model: %v)", manual), h, 4*mib, true)
	}
	// The same bomb as a stream: one endless line.
	srv := hostile(t, map[string]string{"Content-Type": "text/event-stream", "Content-Encoding": "gzip"},
		func(w io.Writer) error { _, err := w.Write(b); return err })
	m := limitModel(t, "gpt-4o", srv.URL+"/v1", llm.Limits{MaxEventBytes: mib})
	var err error
	h := measureHeap(func() {
		req, _ := streamReq()
		_, err = m.Complete(context.Background(), req)
	})
	wantLimit(t, err, "MaxEventBytes", mib)
	checkHeap(t, "gzip bomb stream", h, mib, true)
}

// A million data: lines: in one event they stop at MaxEventBytes; as a
// million text or tool-argument deltas, at MaxOutputBytes.
func TestLimitMillionDataLines(t *testing.T) {
	const n = 1_000_000
	oneEvent := hostile(t, map[string]string{"Content-Type": "text/event-stream"}, func(w io.Writer) error {
		line := []byte("data: {\"choices\":[]}\n")
		for range n {
			if _, err := w.Write(line); err != nil {
				return err
			}
		}
		return nil
	})
	m := limitModel(t, "gpt-4o", oneEvent.URL+"/v1", llm.Limits{MaxEventBytes: mib})
	var err error
	h := measureHeap(func() {
		req, _ := streamReq()
		_, err = m.Complete(context.Background(), req)
	})
	wantLimit(t, err, "MaxEventBytes", mib)
	checkHeap(t, "1M data: lines in one event", h, mib, false)

	text := hostile(t, map[string]string{"Content-Type": "text/event-stream"}, func(w io.Writer) error {
		ev := []byte(`data: {"id":"c","choices":[{"index":0,"delta":{"content":"0123456789abcdef"}}]}` + "\n\n")
		for range n {
			if _, err := w.Write(ev); err != nil {
				return err
			}
		}
		return nil
	})
	m = limitModel(t, "gpt-4o", text.URL+"/v1", llm.Limits{MaxOutputBytes: mib})
	var streamed int
	h = measureStreamHeap(func(probe func()) {
		req := userReq("hi")
		req.Stream = func(_ context.Context, c llm.Chunk) error { streamed += len(c.Text); probe(); return nil }
		_, err = m.Complete(context.Background(), req)
	})
	le := wantLimit(t, err, "MaxOutputBytes", mib)
	if !errors.Is(err, llm.ErrStreamInterrupted) || streamed != mib {
		t.Fatalf("err = %v (%+v), streamed %d bytes, want exactly the limit", err, le, streamed)
	}
	checkHeap(t, "1M text deltas", h, mib, false)

	args := hostile(t, map[string]string{"Content-Type": "text/event-stream"}, func(w io.Writer) error {
		io.WriteString(w, `data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}}]}`+"\n\n")
		ev := []byte(`data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"aaaaaaaaaaaaaaaa"}}]}}]}` + "\n\n")
		for range n {
			if _, err := w.Write(ev); err != nil {
				return err
			}
		}
		return nil
	})
	m = limitModel(t, "gpt-4o", args.URL+"/v1", llm.Limits{MaxOutputBytes: mib})
	h = measureStreamHeap(func(probe func()) {
		req := userReq("hi")
		req.Stream = func(context.Context, llm.Chunk) error { probe(); return nil }
		_, err = m.Complete(context.Background(), req)
	})
	wantLimit(t, err, "MaxOutputBytes", mib)
	checkHeap(t, "1M tool-argument deltas", h, mib, false)
}

// Replies within the limits are untouched, and the defaults let a
// several-megabyte answer through.
func TestLimitsAllowNormalReplies(t *testing.T) {
	big := strings.Repeat("word ", 1<<20) // 5 MiB
	for _, stream := range []bool{false, true} {
		srv := llmtest.NewOpenAI(t)
		srv.Enqueue(llmtest.Reply{Text: big, ChunkSize: 64 << 10})
		m := newModel(t, "gpt-4o", srv)
		req := userReq("hi")
		if stream {
			req.Stream = func(context.Context, llm.Chunk) error { return nil }
		}
		resp, err := m.Complete(context.Background(), req)
		if err != nil || resp.Message.Content != big {
			t.Fatalf("stream %v: err %v", stream, err)
		}
	}
	// a limit of -1 removes it
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Text: big})
	m := newModel(t, "gpt-4o", srv, llm.WithLimits(llm.Limits{MaxResponseBytes: -1}))
	if resp, err := m.Complete(context.Background(), userReq("hi")); err != nil || resp.Message.Content != big {
		t.Fatalf("unlimited: %v", err)
	}
	// one byte over the limit fails, at the limit passes
	srv.Enqueue(llmtest.Reply{Text: "0123456789"}, llmtest.Reply{Text: "0123456789"})
	req := userReq("hi")
	req.Stream = func(context.Context, llm.Chunk) error { return nil }
	m = newModel(t, "gpt-4o", srv, llm.WithLimits(llm.Limits{MaxOutputBytes: 10}))
	if resp, err := m.Complete(context.Background(), req); err != nil || resp.Message.Content != "0123456789" {
		t.Fatalf("at the limit: %v", err)
	}
	m = newModel(t, "gpt-4o", srv, llm.WithLimits(llm.Limits{MaxOutputBytes: 9}))
	_, err := m.Complete(context.Background(), req)
	wantLimit(t, err, "MaxOutputBytes", 9)
}
