// Package mcp connects jedisos tools to the Model Context Protocol, in both
// directions, over the official Go SDK (github.com/modelcontextprotocol/go-sdk).
//
// As a client, Connect, ConnectCommand and ConnectHTTP open a session with an
// MCP server (a command speaking over its stdin/stdout, or a streamable-HTTP
// endpoint), list its tools and turn each into an ordinary *tools.Tool: the
// server's JSON Schema is compiled and every call's arguments are validated
// against it before they are sent, exactly as for tools declared from Go
// structs, so a bad call from the model costs no round trip and tells the
// model what was wrong. Client.Register adds them to a tools.Registry under
// an optional name prefix and keeps the registry in step when the server
// announces that its tool list changed. A call's result (text, structured
// content, embedded resources; IsError results) becomes the content of the
// tool message; a server that dies mid-call or a call past its timeout is a
// tool error the model can read, and the agent goes on.
//
// As a server, NewServer exposes a tools.Registry as an MCP server whose
// tool schemas are the ones jedisos generated from Go structs; ServeStdio and
// Handler serve it over stdio and streamable HTTP. A compiled agent can be
// offered as one tool by declaring a tool whose function invokes it.
package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/jedisos/jedisos/tools"
)

// Version is the implementation version jedisos reports to MCP peers.
const Version = "0.2.0"

// ErrConnect is matched (errors.Is) by errors from Connect and its variants
// when the session with the server could not be opened.
var ErrConnect = errors.New("mcp: cannot connect to the server")

// ErrServer is matched (errors.Is) by the error of a tool call that the MCP
// server could not answer: the session is closed, the server died, or it
// answered with a protocol error. The model reads it as the tool's error.
var ErrServer = errors.New("mcp: the server did not answer the call")

// ToolError is the error of a call the server answered with IsError set: the
// tool ran and failed. Its text is what the server said.
type ToolError struct {
	Server string
	Tool   string
	Text   string
}

// Error returns the server's text, naming the tool.
func (e *ToolError) Error() string {
	return fmt.Sprintf("MCP tool %s on server %s failed: %s", e.Tool, e.Server, e.Text)
}

// Options configure a client session.
type Options struct {
	// Name names the server in errors and logs; default: the name the
	// server reports, else "mcp".
	Name string
	// Prefix is prepended to every tool name, so tools of several servers
	// (or a server and local tools) cannot clash: with Prefix "fs_", the
	// server's "read_file" is registered as "fs_read_file". Characters a
	// tool name may not hold are replaced by '_'.
	Prefix string
	// Include, when set, keeps only the server tools (by the server's own
	// name) for which it returns true.
	Include func(name string) bool
	// Timeout bounds each call, overriding the Registry's default; 0 keeps
	// the registry's (see tools.Config.Timeout). The server is told to
	// cancel a call that times out or whose context ends.
	Timeout time.Duration
	// MaxOutputBytes bounds each result the model reads (0: the registry's).
	MaxOutputBytes int
	// HTTPClient is used by ConnectHTTP (default http.DefaultClient).
	HTTPClient *http.Client
	// Logger receives one record per tool that could not be declared and
	// per failed refresh (default slog.Default()).
	Logger *slog.Logger
}

// Client is an open session with one MCP server and the tools it offers.
// It is safe for concurrent use.
type Client struct {
	opts    Options
	name    string
	session *sdk.ClientSession
	logger  *slog.Logger

	mu       sync.Mutex
	tools    []*tools.Tool
	remote   map[string]string // our name -> server's name
	problems []error
	regs     []*tools.Registry
	closed   bool

	refreshMu sync.Mutex
	changed   chan struct{}
	done      chan struct{}
	loopDone  chan struct{}
}

// ConnectCommand starts cmd and speaks MCP over its stdin and stdout. The
// process ends when the client is closed.
func ConnectCommand(ctx context.Context, cmd *exec.Cmd, opts Options) (*Client, error) {
	if cmd == nil {
		return nil, fmt.Errorf("%w: ConnectCommand needs a command", ErrConnect)
	}
	if opts.Name == "" {
		opts.Name = cmd.Path
	}
	return Connect(ctx, &sdk.CommandTransport{Command: cmd}, opts)
}

// ConnectHTTP connects to a streamable-HTTP MCP endpoint (its URL).
func ConnectHTTP(ctx context.Context, endpoint string, opts Options) (*Client, error) {
	if endpoint == "" {
		return nil, fmt.Errorf("%w: ConnectHTTP needs the endpoint's URL", ErrConnect)
	}
	if opts.Name == "" {
		opts.Name = endpoint
	}
	return Connect(ctx, &sdk.StreamableClientTransport{Endpoint: endpoint, HTTPClient: opts.HTTPClient, MaxRetries: -1}, opts)
}

// Connect opens a session over any MCP transport of the SDK and lists the
// server's tools. Tools whose schema jedisos cannot compile are left out,
// logged and reported by Problems; the others are ready to Register.
func Connect(ctx context.Context, transport sdk.Transport, opts Options) (*Client, error) {
	if opts.Prefix != "" && !validName.MatchString(sanitize(opts.Prefix)+"x") {
		return nil, fmt.Errorf("%w: Options.Prefix %q cannot start a tool name (a letter or '_' first)", ErrConnect, opts.Prefix)
	}
	c := &Client{opts: opts, logger: opts.Logger, changed: make(chan struct{}, 1), done: make(chan struct{}), loopDone: make(chan struct{})}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	client := sdk.NewClient(&sdk.Implementation{Name: "jedisos", Version: Version}, &sdk.ClientOptions{
		ToolListChangedHandler: func(context.Context, *sdk.ToolListChangedRequest) {
			select {
			case c.changed <- struct{}{}:
			default:
			}
		},
	})
	session, err := client.Connect(ctx, transport, nil)
	if err != nil {
		name := opts.Name
		if name == "" {
			name = "mcp"
		}
		return nil, fmt.Errorf("%w %s: %v", ErrConnect, name, err)
	}
	c.session = session
	c.name = opts.Name
	if c.name == "" {
		c.name = "mcp"
		if ir := session.InitializeResult(); ir != nil && ir.ServerInfo != nil && ir.ServerInfo.Name != "" {
			c.name = ir.ServerInfo.Name
		}
	}
	if err := c.Refresh(ctx); err != nil {
		session.Close()
		return nil, err
	}
	go c.watch()
	return c, nil
}

// Name returns the server's name as used in errors.
func (c *Client) Name() string { return c.name }

// Tools returns the server's tools as jedisos tools, in the server's order.
func (c *Client) Tools() []*tools.Tool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.tools)
}

// Problems returns one error per server tool that the last refresh could
// not declare (a schema that does not compile, a name that clashes after
// sanitising).
func (c *Client) Problems() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.problems)
}

// RemoteName returns the server's own name of a tool registered under name.
func (c *Client) RemoteName(name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.remote[name]
	return r, ok
}

// Register adds the server's tools to reg, and keeps reg in step with the
// server from then on: when the server announces a changed tool list, the
// tools it dropped are removed from reg and new ones added. A name already
// taken in reg is an error (tools.ErrDuplicateTool) and registers none.
func (c *Client) Register(reg *tools.Registry) error {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	c.mu.Lock()
	ts := slices.Clone(c.tools)
	c.mu.Unlock()
	if err := reg.Register(ts...); err != nil {
		return err
	}
	c.mu.Lock()
	c.regs = append(c.regs, reg)
	c.mu.Unlock()
	return nil
}

// Refresh lists the server's tools again and updates every registry the
// client registered with. It runs by itself when the server announces a
// change.
func (c *Client) Refresh(ctx context.Context) error {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	var listed []*sdk.Tool
	for t, err := range c.session.Tools(ctx, nil) {
		if err != nil {
			return fmt.Errorf("%w: list the tools of MCP server %s: %v", ErrServer, c.name, err)
		}
		listed = append(listed, t)
	}
	var (
		next     []*tools.Tool
		remote   = map[string]string{}
		problems []error
	)
	for _, t := range listed {
		if c.opts.Include != nil && !c.opts.Include(t.Name) {
			continue
		}
		tool, name, err := c.declare(t)
		if err == nil {
			if prev, dup := remote[name]; dup {
				err = fmt.Errorf("mcp: server %s tools %q and %q both become %q", c.name, prev, t.Name, name)
			}
		}
		if err != nil {
			problems = append(problems, err)
			c.logger.Warn("mcp: tool left out", "server", c.name, "tool", t.Name, "error", err.Error())
			continue
		}
		remote[name] = t.Name
		next = append(next, tool)
	}
	c.mu.Lock()
	old := c.tools
	c.tools, c.remote, c.problems = next, remote, problems
	regs := slices.Clone(c.regs)
	c.mu.Unlock()

	oldNames := make([]string, 0, len(old))
	ours := map[string]bool{}
	for _, t := range old {
		oldNames = append(oldNames, t.Name())
		ours[t.Name()] = true
	}
	for _, reg := range regs {
		// Swap every tool of this server at once, so a changed schema or
		// description takes effect too and no call sees a gap.
		var add []*tools.Tool
		for _, t := range next {
			if _, taken := reg.Lookup(t.Name()); taken && !ours[t.Name()] {
				problems = append(problems, fmt.Errorf("mcp: server %s tool %q: %w", c.name, t.Name(), tools.ErrDuplicateTool))
				continue
			}
			add = append(add, t)
		}
		if err := reg.Replace(oldNames, add...); err != nil {
			problems = append(problems, err)
		}
	}
	if len(problems) > 0 {
		c.mu.Lock()
		c.problems = problems
		c.mu.Unlock()
	}
	return nil
}

// watch refreshes the tools when the server announces a change.
func (c *Client) watch() {
	defer close(c.loopDone)
	for {
		select {
		case <-c.done:
			return
		case <-c.changed:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := c.Refresh(ctx); err != nil {
				c.logger.Warn("mcp: refresh after a tool-list change failed", "server", c.name, "error", err.Error())
			}
			cancel()
		}
	}
}

// Close ends the session (and the server process of ConnectCommand). Tools
// already registered stay in their registries; their calls fail with
// ErrServer from then on.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	close(c.done)
	err := c.session.Close()
	<-c.loopDone
	return err
}

var validName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,63}$`)

// sanitize replaces what a jedisos tool name may not hold by '_'.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// localName is the registry name of a server tool.
func (c *Client) localName(remote string) (string, error) {
	name := sanitize(c.opts.Prefix + remote)
	if name != "" && name[0] >= '0' && name[0] <= '9' {
		name = "_" + name
	}
	if !validName.MatchString(name) {
		return "", fmt.Errorf("mcp: server %s tool %q: its name %q is not 1 to 64 letters, digits, '_' or '-' (use a shorter Prefix or Include to leave it out)", c.name, remote, name)
	}
	return name, nil
}

// declare turns a server tool into a jedisos tool calling it.
func (c *Client) declare(t *sdk.Tool) (*tools.Tool, string, error) {
	name, err := c.localName(t.Name)
	if err != nil {
		return nil, "", err
	}
	schema, err := json.Marshal(t.InputSchema)
	if err != nil || string(schema) == "null" {
		schema = []byte(`{"type":"object"}`)
	}
	var opts []tools.Option
	if c.opts.Timeout > 0 {
		opts = append(opts, tools.WithTimeout(c.opts.Timeout))
	}
	if c.opts.MaxOutputBytes > 0 {
		opts = append(opts, tools.WithMaxOutputBytes(c.opts.MaxOutputBytes))
	}
	desc := t.Description
	if desc == "" {
		desc = t.Title
	}
	remote := t.Name
	tool, err := tools.NewRaw(name, desc, schema, func(ctx context.Context, args json.RawMessage) (string, error) {
		return c.call(ctx, remote, args)
	}, opts...)
	if err != nil {
		return nil, "", fmt.Errorf("mcp: server %s tool %q: %w", c.name, t.Name, err)
	}
	return tool, name, nil
}

// call runs one tool call on the server.
func (c *Client) call(ctx context.Context, remote string, args json.RawMessage) (string, error) {
	if len(args) == 0 {
		args = json.RawMessage(`{}`)
	}
	res, err := c.session.CallTool(ctx, &sdk.CallToolParams{Name: remote, Arguments: args})
	if err != nil {
		if ctx.Err() != nil {
			// The registry reports the timeout or cancellation itself.
			return "", ctx.Err()
		}
		return "", fmt.Errorf("%w: MCP server %s, tool %s: %v", ErrServer, c.name, remote, err)
	}
	text := resultText(res)
	if res.IsError {
		return "", &ToolError{Server: c.name, Tool: remote, Text: text}
	}
	return text, nil
}

// resultText renders a call result as the text the model reads: the text
// parts in order, other parts described, and the structured content as
// JSON when no text part carries it.
func resultText(res *sdk.CallToolResult) string {
	var parts []string
	for _, ct := range res.Content {
		switch v := ct.(type) {
		case *sdk.TextContent:
			parts = append(parts, v.Text)
		case *sdk.ImageContent:
			parts = append(parts, fmt.Sprintf("[image %s, %d bytes]", v.MIMEType, len(v.Data)))
		case *sdk.AudioContent:
			parts = append(parts, fmt.Sprintf("[audio %s, %d bytes]", v.MIMEType, len(v.Data)))
		case *sdk.ResourceLink:
			parts = append(parts, fmt.Sprintf("[resource %s %s]", v.Name, v.URI))
		case *sdk.EmbeddedResource:
			if v.Resource != nil {
				if v.Resource.Text != "" {
					parts = append(parts, v.Resource.Text)
				} else {
					parts = append(parts, fmt.Sprintf("[resource %s, %d bytes]", v.Resource.URI, len(v.Resource.Blob)))
				}
			}
		}
	}
	if res.StructuredContent != nil && len(parts) == 0 {
		if b, err := json.Marshal(res.StructuredContent); err == nil {
			parts = append(parts, string(b))
		}
	}
	return strings.Join(parts, "\n")
}
