package nodes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/memory"
)

// ErrNoMemory is returned by the memory nodes when they have no engine.
var ErrNoMemory = errors.New("nodes: memory node needs a memory.Engine")

// ErrNoBank is returned when neither the state nor the config names a bank.
var ErrNoBank = errors.New("nodes: no memory bank: set AgentState.Bank or the node's Bank")

// RecallConfig configures MemoryRecall.
type RecallConfig struct {
	// Engine recalls. Required.
	Engine *memory.Engine
	// Bank is used when the state's Bank is empty.
	Bank string
	// Options tune the recall: budget (low/mid/high), token limit, filters.
	Options memory.RecallOptions
}

// MemoryRecall returns the memory_recall node: it recalls from the state's
// bank for the latest user message and replaces the state's Memories with
// the hits, best first. With no user message it clears Memories.
func MemoryRecall[S any, P interface {
	*S
	Agent
}](cfg RecallConfig) (graph.NodeFunc[S], error) {
	if cfg.Engine == nil {
		return nil, ErrNoMemory
	}
	// Recalled carries no links: the hits need not copy them
	opts := cfg.Options
	opts.NoLinks = true
	return func(ctx context.Context, s S) (S, error) {
		a := P(&s).Agent()
		query := a.LastUser()
		if strings.TrimSpace(query) == "" {
			a.Memories = nil
			return s, nil
		}
		bank := a.Bank
		if bank == "" {
			bank = cfg.Bank
		}
		if bank == "" {
			return s, ErrNoBank
		}
		res, err := cfg.Engine.Recall(ctx, bank, query, opts)
		if err != nil {
			return s, fmt.Errorf("memory_recall: bank %q: %w", bank, err)
		}
		out := make([]Recalled, len(res.Hits))
		for i, h := range res.Hits {
			out[i] = Recalled{ID: h.Memory.ID, Text: h.Text, Kind: string(h.Memory.Kind), Score: h.Score, FoundBy: h.Provenance()}
		}
		a.Memories = out
		return s, nil
	}, nil
}

// RetainConfig configures MemoryRetain.
type RetainConfig struct {
	// Engine retains. Required.
	Engine *memory.Engine
	// Bank is used when the state's Bank is empty.
	Bank string
	// Options qualify the retained facts (kind, tags, context...). Their
	// Timestamp defaults to the time of retaining.
	Options memory.RetainOptions
	// Background, when set, queues the turn on this Retainer instead of
	// retaining it before the node returns. The Retainer must be closed
	// (or flushed) before the program exits; it never drops a turn.
	Background *Retainer
}

// MemoryRetain returns the memory_retain node: it retains the finished turn
// — the latest user message and the agent's answer — into the state's
// bank. It resets Iterations so the next turn starts a fresh count.
func MemoryRetain[S any, P interface {
	*S
	Agent
}](cfg RetainConfig) (graph.NodeFunc[S], error) {
	if cfg.Engine == nil {
		return nil, ErrNoMemory
	}
	if cfg.Options.Context == "" {
		cfg.Options.Context = "conversation"
	}
	return func(ctx context.Context, s S) (S, error) {
		a := P(&s).Agent()
		a.Iterations = 0
		content := TurnText(a.Messages)
		if content == "" {
			return s, nil
		}
		bank := a.Bank
		if bank == "" {
			bank = cfg.Bank
		}
		if bank == "" {
			return s, ErrNoBank
		}
		opts := cfg.Options
		if opts.Timestamp.IsZero() {
			opts.Timestamp = time.Now()
		}
		if cfg.Background != nil {
			if err := cfg.Background.Enqueue(bank, content, opts); err != nil {
				return s, fmt.Errorf("memory_retain: %w", err)
			}
			return s, nil
		}
		if _, err := cfg.Engine.Retain(ctx, bank, content, opts); err != nil {
			return s, fmt.Errorf("memory_retain: bank %q: %w", bank, err)
		}
		return s, nil
	}, nil
}

// TurnText renders the latest turn — the last user message and the final
// assistant answer after it — as the text to retain. Tool traffic is left
// out. It returns "" when there is no user message.
func TurnText(msgs []llm.Message) string {
	start := -1
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == llm.RoleUser {
			start = i
			break
		}
	}
	if start < 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("User: ")
	b.WriteString(strings.TrimSpace(msgs[start].Content))
	for i := len(msgs) - 1; i > start; i-- {
		m := msgs[i]
		if m.Role == llm.RoleAssistant && len(m.ToolCalls) == 0 && strings.TrimSpace(m.Content) != "" {
			b.WriteString("\nAssistant: ")
			b.WriteString(strings.TrimSpace(m.Content))
			break
		}
	}
	return b.String()
}

// ErrRetainerClosed is returned by Enqueue after Close.
var ErrRetainerClosed = errors.New("nodes: retainer is closed")

// Retainer retains turns in the background, in the order they were queued,
// on one goroutine. Close (or Flush) waits until every queued turn is
// retained and reports the failures; a turn is never silently dropped.
type Retainer struct {
	engine  *memory.Engine
	onError func(bank string, err error)

	mu     sync.Mutex
	queue  []retainJob
	closed bool
	// idle is closed when the worker drains the queue; nil while no
	// worker runs.
	idle chan struct{}
	errs []error
}

type retainJob struct {
	bank    string
	content string
	opts    memory.RetainOptions
}

// NewRetainer returns a background Retainer over engine. onError, when not
// nil, is also called for each failed turn as it fails.
func NewRetainer(engine *memory.Engine, onError func(bank string, err error)) *Retainer {
	r := &Retainer{engine: engine, onError: onError}
	return r
}

// Enqueue queues a turn. It never blocks on the engine.
func (r *Retainer) Enqueue(bank, content string, opts memory.RetainOptions) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrRetainerClosed
	}
	r.queue = append(r.queue, retainJob{bank, content, opts})
	if r.idle == nil {
		r.idle = make(chan struct{})
		go r.work()
	}
	return nil
}

// work drains the queue and exits when it is empty, so an idle Retainer
// holds no goroutine.
func (r *Retainer) work() {
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			close(r.idle)
			r.idle = nil
			r.mu.Unlock()
			return
		}
		job := r.queue[0]
		r.queue = r.queue[1:]
		r.mu.Unlock()

		// A queued turn outlives the request that produced it: it is
		// retained under its own context, not the finished run's.
		_, err := r.engine.Retain(context.Background(), job.bank, job.content, job.opts)
		if err != nil {
			err = fmt.Errorf("memory_retain (background): bank %q: %w", job.bank, err)
			if r.onError != nil {
				r.onError(job.bank, err)
			}
			r.mu.Lock()
			r.errs = append(r.errs, err)
			r.mu.Unlock()
		}
	}
}

// Flush waits until every turn queued so far is retained, or ctx is done,
// and returns the failures since the last Flush joined into one error.
func (r *Retainer) Flush(ctx context.Context) error {
	r.mu.Lock()
	idle := r.idle
	r.mu.Unlock()
	if idle != nil {
		select {
		case <-idle:
		case <-ctx.Done():
			r.mu.Lock()
			pending := len(r.queue)
			r.mu.Unlock()
			return fmt.Errorf("nodes: retainer flush: %d turns still queued: %w", pending, ctx.Err())
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	err := errors.Join(r.errs...)
	r.errs = nil
	return err
}

// Close stops accepting turns, waits for the queued ones like Flush and
// returns their failures.
func (r *Retainer) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	return r.Flush(ctx)
}
