package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/tools"
)

// ServerOptions configure NewServer.
type ServerOptions struct {
	// Name and Version are reported to clients (defaults "jedisos" and
	// this package's Version).
	Name    string
	Version string
	// Instructions, when set, tell clients how to use the server's tools.
	Instructions string
	// MaxRequestBytes bounds one request a client sends (one HTTP body, one
	// stdio line): larger ones are refused before they are decoded. 0
	// means DefaultMaxRequestBytes. The registry's argument limit
	// (tools.Config.MaxArgumentBytes) still applies to each call.
	MaxRequestBytes int
}

// DefaultMaxRequestBytes is the default ServerOptions.MaxRequestBytes.
const DefaultMaxRequestBytes = 4 << 20

// Server offers the tools of a tools.Registry to MCP clients. Each call is
// validated and run by the registry, with its limits (timeout, output size,
// argument size), and a failed call is an IsError result whose text tells
// the caller what was wrong, as it would tell a model.
type Server struct {
	reg      *tools.Registry
	srv      *sdk.Server
	maxBytes int

	mu      sync.Mutex
	offered map[string]*tools.Tool
}

// NewServer returns a server offering every tool registered in reg now.
// Call Sync after registering or removing tools to update what clients see
// (connected clients are told the list changed).
func NewServer(reg *tools.Registry, opts ServerOptions) *Server {
	if opts.Name == "" {
		opts.Name = "jedisos"
	}
	if opts.Version == "" {
		opts.Version = Version
	}
	var so *sdk.ServerOptions
	if opts.Instructions != "" {
		so = &sdk.ServerOptions{Instructions: opts.Instructions}
	}
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultMaxRequestBytes
	}
	s := &Server{reg: reg, srv: sdk.NewServer(&sdk.Implementation{Name: opts.Name, Version: opts.Version}, so), offered: map[string]*tools.Tool{}, maxBytes: opts.MaxRequestBytes}
	s.Sync()
	return s
}

// MCP returns the underlying SDK server, to add prompts or resources or to
// serve it over another transport.
func (s *Server) MCP() *sdk.Server { return s.srv }

// Sync makes the offered tools match the registry's.
func (s *Server) Sync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	current := map[string]*tools.Tool{}
	for _, t := range s.reg.Tools() {
		current[t.Name()] = t
	}
	var gone []string
	for name, t := range s.offered {
		if current[name] != t {
			gone = append(gone, name)
			delete(s.offered, name)
		}
	}
	if len(gone) > 0 {
		s.srv.RemoveTools(gone...)
	}
	for _, t := range s.reg.Tools() {
		if s.offered[t.Name()] == t {
			continue
		}
		s.offered[t.Name()] = t
		name := t.Name()
		s.srv.AddTool(&sdk.Tool{Name: name, Description: t.Description(), InputSchema: t.Schema()}, func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			return s.call(ctx, name, req.Params.Arguments), nil
		})
	}
}

// call runs one client call through the registry.
func (s *Server) call(ctx context.Context, name string, args json.RawMessage) *sdk.CallToolResult {
	if len(bytes.TrimSpace(args)) == 0 || string(args) == "null" {
		args = json.RawMessage(`{}`)
	}
	res := s.reg.Execute(ctx, llm.ToolCall{ID: "mcp", Type: "function", Name: name, Arguments: string(args)})
	out := &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: res.Content}}, IsError: res.Err != nil}
	if res.Err == nil {
		if b := bytes.TrimSpace([]byte(res.Content)); len(b) > 0 && b[0] == '{' && json.Valid(b) {
			out.StructuredContent = json.RawMessage(b)
		}
	}
	return out
}

// ServeStdio serves the tools over this process's stdin and stdout until
// ctx ends or the client closes the session.
func (s *Server) ServeStdio(ctx context.Context) error {
	return s.srv.Run(ctx, &sdk.StdioTransport{MaxLineLength: s.maxBytes})
}

// Handler serves the tools over MCP's streamable HTTP transport; mount it
// at the endpoint's path. A request body over ServerOptions.MaxRequestBytes
// is refused (413) before it is decoded.
func (s *Server) Handler() http.Handler {
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s.srv }, nil)
	limit := int64(s.maxBytes)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			http.Error(w, fmt.Sprintf("request body of %d bytes is over the server's limit of %d bytes (ServerOptions.MaxRequestBytes)", r.ContentLength, limit), http.StatusRequestEntityTooLarge)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		h.ServeHTTP(w, r)
	})
}
