package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/tools"
	"github.com/jedisos/jedisos/tools/mcp"
)

// The test binary doubles as the MCP server processes of the stdio tests:
// with JEDISOS_MCP_CHILD set it serves instead of testing.
func TestMain(m *testing.M) {
	switch os.Getenv("JEDISOS_MCP_CHILD") {
	case "sdk":
		if err := peerServer(&peerStats{}).Run(context.Background(), &sdk.StdioTransport{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "jedisos":
		reg := localRegistry(nil)
		if err := mcp.NewServer(reg, mcp.ServerOptions{Name: "local"}).ServeStdio(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// peerStats counts what the peer server saw.
type peerStats struct {
	adds     atomic.Int32
	canceled atomic.Int32
}

type addIn struct {
	A int `json:"a" jsonschema:"the first number"`
	B int `json:"b" jsonschema:"the second number"`
}

type addOut struct {
	Sum int `json:"sum"`
}

// peerServer is an MCP server written with the SDK alone, standing for a
// third-party server.
func peerServer(st *peerStats) *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "peer", Version: "1"}, nil)
	sdk.AddTool(s, &sdk.Tool{Name: "add", Description: "Adds two numbers."}, func(_ context.Context, _ *sdk.CallToolRequest, in addIn) (*sdk.CallToolResult, addOut, error) {
		st.adds.Add(1)
		return nil, addOut{Sum: in.A + in.B}, nil
	})
	s.AddTool(&sdk.Tool{Name: "fs.read", Description: "Reads a file.", InputSchema: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`)},
		func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			var in struct{ Path string }
			_ = json.Unmarshal(req.Params.Arguments, &in)
			if in.Path == "/missing" {
				return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: "no such file: /missing"}}}, nil
			}
			return &sdk.CallToolResult{Content: []sdk.Content{
				&sdk.TextContent{Text: "line one"},
				&sdk.EmbeddedResource{Resource: &sdk.ResourceContents{URI: "file://" + in.Path, Text: "line two"}},
				&sdk.ImageContent{MIMEType: "image/png", Data: []byte{1, 2, 3}},
			}}, nil
		})
	s.AddTool(&sdk.Tool{Name: "stats", Description: "Counts the calls seen.", InputSchema: json.RawMessage(`{"type":"object"}`)},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			return &sdk.CallToolResult{StructuredContent: map[string]int{"adds": int(st.adds.Load()), "canceled": int(st.canceled.Load())}}, nil
		})
	s.AddTool(&sdk.Tool{Name: "slow", Description: "Waits until canceled.", InputSchema: json.RawMessage(`{"type":"object"}`)},
		func(ctx context.Context, _ *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			select {
			case <-ctx.Done():
				st.canceled.Add(1)
				return nil, ctx.Err()
			case <-time.After(20 * time.Second):
				return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "late"}}}, nil
			}
		})
	s.AddTool(&sdk.Tool{Name: "die", Description: "Ends the server process mid-call.", InputSchema: json.RawMessage(`{"type":"object"}`)},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			os.Exit(3)
			return nil, nil
		})
	return s
}

type weatherIn struct {
	City string `json:"city" jsonschema:"description=the city"`
	Unit string `json:"unit,omitempty" jsonschema:"enum=celsius,enum=fahrenheit"`
}

type weatherOut struct {
	City string `json:"city"`
	Temp int    `json:"temp"`
}

// localRegistry holds jedisos tools declared from Go structs.
func localRegistry(t *testing.T) *tools.Registry {
	w, err := tools.New("get_weather", "Current weather of a city.", func(_ context.Context, in weatherIn) (weatherOut, error) {
		if in.City == "Atlantis" {
			return weatherOut{}, errors.New("no station in Atlantis")
		}
		return weatherOut{City: in.City, Temp: 15}, nil
	})
	if err != nil {
		panic(err)
	}
	reg, err := tools.NewRegistry(tools.Config{}, w)
	if err != nil {
		panic(err)
	}
	return reg
}

// connectPeer opens a client session with the peer server over each
// transport: a child process over stdio, and streamable HTTP in process.
func connectPeer(t *testing.T, transport string, opts mcp.Options) (*mcp.Client, *peerStats, *sdk.Server) {
	t.Helper()
	ctx := context.Background()
	switch transport {
	case "stdio":
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "JEDISOS_MCP_CHILD=sdk")
		c, err := mcp.ConnectCommand(ctx, cmd, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, nil, nil
	default:
		st := &peerStats{}
		srv := peerServer(st)
		hs := httptest.NewServer(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return srv }, nil))
		c, err := mcp.ConnectHTTP(ctx, hs.URL, opts)
		if err != nil {
			hs.Close()
			t.Fatal(err)
		}
		t.Cleanup(func() {
			c.Close()
			hs.CloseClientConnections()
			hs.Close()
		})
		return c, st, srv
	}
}

func call(name, args string) llm.ToolCall {
	return llm.ToolCall{ID: "call_" + name, Type: "function", Name: name, Arguments: args}
}

func TestClientRegistersServerTools(t *testing.T) {
	for _, transport := range []string{"stdio", "http"} {
		t.Run(transport, func(t *testing.T) {
			c, _, _ := connectPeer(t, transport, mcp.Options{Prefix: "peer_"})
			reg := localRegistry(t)
			if err := c.Register(reg); err != nil {
				t.Fatal(err)
			}
			want := []string{"get_weather", "peer_add", "peer_die", "peer_fs_read", "peer_slow", "peer_stats"} // the server lists by name
			if got := reg.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("registry names = %v, want %v", got, want)
			}
			if r, ok := c.RemoteName("peer_fs_read"); !ok || r != "fs.read" {
				t.Fatalf("remote name of peer_fs_read = %q %v", r, ok)
			}
			add, _ := reg.Lookup("peer_add")
			var schema struct {
				Type       string                     `json:"type"`
				Properties map[string]json.RawMessage `json:"properties"`
				Required   []string                   `json:"required"`
			}
			if err := json.Unmarshal(add.Schema(), &schema); err != nil || schema.Type != "object" || len(schema.Properties) != 2 || strings.Join(schema.Required, ",") != "a,b" {
				t.Fatalf("peer_add schema = %s (%v)", add.Schema(), err)
			}
			if add.Description() != "Adds two numbers." {
				t.Fatalf("description = %q", add.Description())
			}

			ctx := context.Background()
			res := reg.Execute(ctx, call("peer_add", `{"a":2,"b":40}`))
			if res.Err != nil || strings.ReplaceAll(res.Content, " ", "") != `{"sum":42}` {
				t.Fatalf("peer_add = %q, %v", res.Content, res.Err)
			}
			// A call that breaks the server's schema is refused before it is
			// sent, with the violation spelled out for the model.
			res = reg.Execute(ctx, call("peer_add", `{"a":"two"}`))
			var ve *tools.ValidationError
			if !errors.As(res.Err, &ve) || !strings.Contains(res.Content, "b") || !strings.Contains(res.Content, "a") {
				t.Fatalf("invalid call: %q, %v", res.Content, res.Err)
			}
			// Mixed content: text parts in order, other parts described.
			res = reg.Execute(ctx, call("peer_fs_read", `{"path":"/etc/motd"}`))
			if res.Err != nil || res.Content != "line one\nline two\n[image image/png, 3 bytes]" {
				t.Fatalf("fs.read = %q, %v", res.Content, res.Err)
			}
			// An IsError result is the tool's error, with the server's text.
			res = reg.Execute(ctx, call("peer_fs_read", `{"path":"/missing"}`))
			var te *mcp.ToolError
			if !errors.As(res.Err, &te) || te.Tool != "fs.read" || !strings.Contains(res.Content, "no such file: /missing") {
				t.Fatalf("IsError result: %q, %v", res.Content, res.Err)
			}
			// Structured content alone is given to the model as JSON; only
			// the valid call reached the server.
			res = reg.Execute(ctx, call("peer_stats", `{}`))
			var stats map[string]int
			if res.Err != nil || json.Unmarshal([]byte(res.Content), &stats) != nil || stats["adds"] != 1 {
				t.Fatalf("stats = %q, %v", res.Content, res.Err)
			}
		})
	}
}

func TestClientTimeoutCancelsOnServer(t *testing.T) {
	c, st, _ := connectPeer(t, "http", mcp.Options{Timeout: 200 * time.Millisecond})
	reg := &tools.Registry{}
	if err := c.Register(reg); err != nil {
		t.Fatal(err)
	}
	res := reg.Execute(context.Background(), call("slow", `{}`))
	var te *tools.TimeoutError
	if !errors.As(res.Err, &te) {
		t.Fatalf("slow call: %q, %v; want a timeout", res.Content, res.Err)
	}
	// The server is told to stop the call.
	deadline := time.Now().Add(10 * time.Second)
	for st.canceled.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st.canceled.Load() != 1 {
		t.Fatalf("server saw %d cancellations, want 1", st.canceled.Load())
	}
	// The caller's own cancellation propagates the same way.
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	res = reg.Execute(ctx, call("slow", `{}`))
	var ce *tools.CanceledError
	if !errors.As(res.Err, &ce) {
		t.Fatalf("canceled call: %q, %v", res.Content, res.Err)
	}
	for st.canceled.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st.canceled.Load() != 2 {
		t.Fatalf("server saw %d cancellations, want 2", st.canceled.Load())
	}
}

func TestServerDiesMidCall(t *testing.T) {
	c, _, _ := connectPeer(t, "stdio", mcp.Options{Prefix: "peer_"})
	reg := localRegistry(t)
	if err := c.Register(reg); err != nil {
		t.Fatal(err)
	}
	results, err := reg.RunTurn(context.Background(), []llm.ToolCall{
		call("peer_die", `{}`),
		call("get_weather", `{"city":"Seoul"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(results[0].Err, mcp.ErrServer) || !strings.Contains(results[0].Content, "peer_die") {
		t.Fatalf("call to a dying server: %q, %v", results[0].Content, results[0].Err)
	}
	if results[1].Err != nil || !strings.Contains(results[1].Content, `"temp":15`) {
		t.Fatalf("local tool in the same turn: %q, %v", results[1].Content, results[1].Err)
	}
	// Later calls fail the same way, and the agent's other tools still run.
	res := reg.Execute(context.Background(), call("peer_add", `{"a":1,"b":2}`))
	if !errors.Is(res.Err, mcp.ErrServer) {
		t.Fatalf("call after the server died: %q, %v", res.Content, res.Err)
	}
	if res := reg.Execute(context.Background(), call("get_weather", `{"city":"Busan"}`)); res.Err != nil {
		t.Fatal(res.Err)
	}
}

func TestClientFollowsToolListChanges(t *testing.T) {
	c, _, srv := connectPeer(t, "http", mcp.Options{Prefix: "peer_", Include: func(name string) bool { return name != "die" }})
	reg := localRegistry(t)
	if err := c.Register(reg); err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Lookup("peer_die"); ok {
		t.Fatal("Include did not leave out die")
	}
	srv.AddTool(&sdk.Tool{Name: "ping", Description: "Answers pong.", InputSchema: json.RawMessage(`{"type":"object"}`)},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "pong"}}}, nil
		})
	waitFor(t, func() bool { _, ok := reg.Lookup("peer_ping"); return ok })
	if res := reg.Execute(context.Background(), call("peer_ping", `{}`)); res.Err != nil || res.Content != "pong" {
		t.Fatalf("new tool: %q, %v", res.Content, res.Err)
	}
	srv.RemoveTools("add")
	waitFor(t, func() bool { _, ok := reg.Lookup("peer_add"); return !ok })
	if _, ok := reg.Lookup("get_weather"); !ok {
		t.Fatal("a refresh removed a local tool")
	}
	res := reg.Execute(context.Background(), call("peer_add", `{"a":1,"b":2}`))
	var ue *tools.UnknownToolError
	if !errors.As(res.Err, &ue) {
		t.Fatalf("removed tool: %q, %v", res.Content, res.Err)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPrefixClashIsReported(t *testing.T) {
	c, _, _ := connectPeer(t, "http", mcp.Options{})
	reg := &tools.Registry{}
	taken, _ := tools.NewNoArgs("add", "local add", func(context.Context) (string, error) { return "", nil })
	if err := reg.Register(taken); err != nil {
		t.Fatal(err)
	}
	if err := c.Register(reg); !errors.Is(err, tools.ErrDuplicateTool) {
		t.Fatalf("clash with a local tool: %v", err)
	}
	if reg.Len() != 1 {
		t.Fatalf("a failed Register added %d tools", reg.Len()-1)
	}
	if _, err := mcp.ConnectHTTP(context.Background(), "http://127.0.0.1:1/mcp", mcp.Options{}); !errors.Is(err, mcp.ErrConnect) {
		t.Fatalf("unreachable server: %v", err)
	}
	if _, err := mcp.ConnectHTTP(context.Background(), "http://127.0.0.1:1/mcp", mcp.Options{Prefix: "9"}); !errors.Is(err, mcp.ErrConnect) || !strings.Contains(err.Error(), "Prefix") {
		t.Fatalf("bad prefix: %v", err)
	}
}

// Our server, driven by the SDK's own client over both transports.
func TestServerWithSDKClient(t *testing.T) {
	for _, transport := range []string{"stdio", "http"} {
		t.Run(transport, func(t *testing.T) {
			ctx := context.Background()
			client := sdk.NewClient(&sdk.Implementation{Name: "sdk-client", Version: "1"}, nil)
			var tr sdk.Transport
			if transport == "stdio" {
				cmd := exec.Command(os.Args[0])
				cmd.Env = append(os.Environ(), "JEDISOS_MCP_CHILD=jedisos")
				tr = &sdk.CommandTransport{Command: cmd}
			} else {
				hs := httptest.NewServer(mcp.NewServer(localRegistry(t), mcp.ServerOptions{Name: "local"}).Handler())
				t.Cleanup(func() { hs.CloseClientConnections(); hs.Close() })
				tr = &sdk.StreamableClientTransport{Endpoint: hs.URL, MaxRetries: -1}
			}
			cs, err := client.Connect(ctx, tr, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()
			if info := cs.InitializeResult().ServerInfo; info.Name != "local" || info.Version != mcp.Version {
				t.Fatalf("server info = %+v", info)
			}
			lt, err := cs.ListTools(ctx, nil)
			if err != nil || len(lt.Tools) != 1 {
				t.Fatalf("tools = %+v, %v", lt, err)
			}
			got, _ := json.Marshal(lt.Tools[0].InputSchema)
			want, _ := localRegistry(t).Lookup("get_weather")
			var a, b any
			_ = json.Unmarshal(got, &a)
			_ = json.Unmarshal(want.Schema(), &b)
			if fmt.Sprint(a) != fmt.Sprint(b) || lt.Tools[0].Name != "get_weather" || lt.Tools[0].Description != "Current weather of a city." {
				t.Fatalf("listed schema %s, want %s", got, want.Schema())
			}
			res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "get_weather", Arguments: map[string]any{"city": "Seoul"}})
			if err != nil || res.IsError || len(res.Content) != 1 || !strings.Contains(res.Content[0].(*sdk.TextContent).Text, `"temp":15`) {
				t.Fatalf("call = %+v, %v", res, err)
			}
			if m, ok := res.StructuredContent.(map[string]any); !ok || m["city"] != "Seoul" {
				t.Fatalf("structured content = %#v", res.StructuredContent)
			}
			// Bad arguments and a failing tool are IsError results that say
			// what was wrong.
			res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "get_weather", Arguments: map[string]any{"city": "Seoul", "unit": "kelvin"}})
			if err != nil || !res.IsError || !strings.Contains(res.Content[0].(*sdk.TextContent).Text, "unit") {
				t.Fatalf("invalid call = %+v, %v", res, err)
			}
			res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "get_weather", Arguments: map[string]any{"city": "Atlantis"}})
			if err != nil || !res.IsError || !strings.Contains(res.Content[0].(*sdk.TextContent).Text, "no station in Atlantis") {
				t.Fatalf("failing call = %+v, %v", res, err)
			}
		})
	}
}

// A registry exported by our server and imported by our client keeps its
// schemas and behaviour, and Sync tells connected clients about new tools.
func TestRoundTripAndSync(t *testing.T) {
	reg := localRegistry(t)
	srv := mcp.NewServer(reg, mcp.ServerOptions{})
	hs := httptest.NewServer(srv.Handler())
	defer func() { hs.CloseClientConnections(); hs.Close() }()
	c, err := mcp.ConnectHTTP(context.Background(), hs.URL, mcp.Options{Prefix: "remote_"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Name() != hs.URL {
		t.Fatalf("name = %q", c.Name())
	}
	into := &tools.Registry{}
	if err := c.Register(into); err != nil {
		t.Fatal(err)
	}
	w, _ := into.Lookup("remote_get_weather")
	orig, _ := reg.Lookup("get_weather")
	var a, b any
	_ = json.Unmarshal(w.Schema(), &a)
	_ = json.Unmarshal(orig.Schema(), &b)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("schema changed on the way: %s vs %s", w.Schema(), orig.Schema())
	}
	res := into.Execute(context.Background(), call("remote_get_weather", `{"city":"Seoul","unit":"kelvin"}`))
	var ve *tools.ValidationError
	if !errors.As(res.Err, &ve) {
		t.Fatalf("the imported schema did not validate: %q %v", res.Content, res.Err)
	}
	extra, _ := tools.NewNoArgs("now", "The time.", func(context.Context) (string, error) { return "noon", nil })
	if err := reg.Register(extra); err != nil {
		t.Fatal(err)
	}
	srv.Sync()
	waitFor(t, func() bool { _, ok := into.Lookup("remote_now"); return ok })
	if res := into.Execute(context.Background(), call("remote_now", `{}`)); res.Err != nil || res.Content != "noon" {
		t.Fatalf("synced tool: %q %v", res.Content, res.Err)
	}
}

// A request body over the server's limit is refused before it is decoded.
func TestServerRequestLimit(t *testing.T) {
	srv := mcp.NewServer(localRegistry(t), mcp.ServerOptions{MaxRequestBytes: 64 << 10})
	hs := httptest.NewServer(srv.Handler())
	defer func() { hs.CloseClientConnections(); hs.Close() }()
	ctx := context.Background()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "c", Version: "1"}, nil).Connect(ctx, &sdk.StreamableClientTransport{Endpoint: hs.URL, MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	big := strings.Repeat("x", 100<<10)
	if _, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "get_weather", Arguments: map[string]any{"city": big}}); err == nil {
		t.Fatal("a 100 KiB request passed a 64 KiB limit")
	}
	// A normal call on a new session still works.
	cs2, err := sdk.NewClient(&sdk.Implementation{Name: "c", Version: "1"}, nil).Connect(ctx, &sdk.StreamableClientTransport{Endpoint: hs.URL, MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs2.Close()
	res, err := cs2.CallTool(ctx, &sdk.CallToolParams{Name: "get_weather", Arguments: map[string]any{"city": "Seoul"}})
	if err != nil || res.IsError {
		t.Fatalf("normal call: %+v %v", res, err)
	}
}
