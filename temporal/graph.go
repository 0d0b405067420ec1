package temporal

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/jedisos/jedisos/graph"
)

// Options configure how a graph runs on Temporal. Zero fields take the
// defaults noted on them.
type Options struct {
	// TaskQueue is where the node activities are scheduled (default: the
	// workflow's own task queue).
	TaskQueue string
	// ActivityTimeout is the start-to-close timeout of the activity of a
	// node without a timeout of its own (default 10 minutes).
	ActivityTimeout time.Duration
	// TimeoutGrace is added to a node's own timeout for its activity's
	// start-to-close timeout, so the node's *graph.TimeoutError is what
	// ends a slow attempt (default 5s).
	TimeoutGrace time.Duration
	// HeartbeatTimeout is how long an activity may go without a heartbeat
	// before Temporal takes its worker for dead and retries it elsewhere
	// (default 30s). Activities heartbeat on their own while the node runs.
	HeartbeatTimeout time.Duration
	// MaxAttempts bounds the attempts of one task, crashed ones included
	// (default 0: no bound besides the node's RetryPolicy, which ends the
	// task on a node's own failures).
	MaxAttempts int
	// RetryInterval is the first wait before retrying an attempt lost to
	// a worker (default 1s; doubled each time up to a minute). A node's
	// own failures wait as its RetryPolicy says.
	RetryInterval time.Duration
	// ContinueAsNewEvery makes a run continue as a new workflow execution
	// after this many steps (default 0: when Temporal suggests it).
	ContinueAsNewEvery int
	// PollInterval is how often Stream asks the run for new events
	// (default 100ms).
	PollInterval time.Duration
	// EventFlushInterval is how often a running node's Emit and EmitToken
	// events are signalled to its workflow, in one batch, so Stream shows
	// them while the node runs (default 250ms; negative: only when the node
	// ends). Each batch is one event in the run's history.
	EventFlushInterval time.Duration
}

// Graph is a compiled graph made into a Temporal workflow and activity.
// It is safe for concurrent use.
type Graph[S any] struct {
	name     string
	activity string
	st       *graph.Stepper[S]
	opts     Options
}

// New makes c runnable on Temporal as the workflow type name; its activity
// is name+".task". The state type must be encodable (see graph.Stepper).
func New[S any](c *graph.Compiled[S], name string, opts Options) (*Graph[S], error) {
	if c == nil {
		return nil, errors.New("temporal: New: the compiled graph is nil")
	}
	if name == "" {
		return nil, errors.New("temporal: New: the workflow name is empty")
	}
	var bad []string
	if opts.ActivityTimeout < 0 {
		bad = append(bad, "ActivityTimeout is negative")
	}
	if opts.TimeoutGrace < 0 {
		bad = append(bad, "TimeoutGrace is negative")
	}
	if opts.HeartbeatTimeout < 0 {
		bad = append(bad, "HeartbeatTimeout is negative")
	}
	if opts.MaxAttempts < 0 {
		bad = append(bad, "MaxAttempts is negative")
	}
	if opts.RetryInterval < 0 {
		bad = append(bad, "RetryInterval is negative")
	}
	if opts.ContinueAsNewEvery < 0 {
		bad = append(bad, "ContinueAsNewEvery is negative")
	}
	if opts.PollInterval < 0 {
		bad = append(bad, "PollInterval is negative")
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("temporal: New(%q): bad options: %v", name, bad)
	}
	st, err := c.Stepper()
	if err != nil {
		return nil, fmt.Errorf("temporal: New(%q): %w", name, err)
	}
	if opts.ActivityTimeout == 0 {
		opts.ActivityTimeout = 10 * time.Minute
	}
	if opts.TimeoutGrace == 0 {
		opts.TimeoutGrace = 5 * time.Second
	}
	if opts.HeartbeatTimeout == 0 {
		opts.HeartbeatTimeout = 30 * time.Second
	}
	if opts.RetryInterval == 0 {
		opts.RetryInterval = time.Second
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = 100 * time.Millisecond
	}
	if opts.EventFlushInterval == 0 {
		opts.EventFlushInterval = 250 * time.Millisecond
	}
	return &Graph[S]{name: name, activity: name + ".task", st: st, opts: opts}, nil
}

// Name is the workflow type name.
func (g *Graph[S]) Name() string { return g.name }

// ActivityName is the name of the activity that runs the nodes.
func (g *Graph[S]) ActivityName() string { return g.activity }

// Register registers the graph's workflow and activity on a worker (or any
// worker.Registry, such as the SDK's test environment).
func (g *Graph[S]) Register(r worker.Registry) {
	r.RegisterWorkflowWithOptions(g.workflow, workflow.RegisterOptions{Name: g.name})
	r.RegisterActivityWithOptions(g.runTask, activity.RegisterOptions{Name: g.activity})
}
