package temporal

import (
	"encoding/json"

	"github.com/jedisos/jedisos/graph"
)

// Names of the workflow's query and update handlers.
const (
	// QueryStatus is the query that returns a run's status and events.
	QueryStatus = "jedisos.status"
	// UpdateResume is the update that answers pending interrupts.
	UpdateResume = "jedisos.resume"
	// SignalEvents is the signal by which a node's activity sends the
	// events its node raised so far while it runs.
	SignalEvents = "jedisos.events"
)

// eventBatch is a SignalEvents payload: the events of one attempt of one
// task from index From on.
type eventBatch struct {
	Step   int         `json:"step"`
	Task   int         `json:"task"`
	Key    string      `json:"key"`
	From   int         `json:"from"`
	Events []wireEvent `json:"events"`
}

// Error types of the failures a run ends with (ApplicationError.Type()).
const (
	ErrTypeNode      = "jedisos.NodeError"
	ErrTypePanic     = "jedisos.PanicError"
	ErrTypeStepLimit = "jedisos.StepLimitError"
	ErrTypeRun       = "jedisos.RunError"
)

// Input is the workflow's argument; Graph.Input builds it, for starting a
// run some other way than Start (as a child workflow, in the SDK's test
// environment).
type Input struct {
	// State is the encoded input state.
	State json.RawMessage `json:"state,omitempty"`
	// StepLimit overrides the compiled graph's step limit (0: keep it).
	StepLimit int `json:"step_limit,omitempty"`
	// From is the position a continued run starts at (State is then
	// unused).
	From *graph.StepState `json:"from,omitempty"`
	// Events counts the events of the runs before this one.
	Events int `json:"events,omitempty"`
	// NodeEvents are the kinds of node-raised events (graph.EventCustom,
	// graph.EventToken) carried to Stream; nil means both.
	NodeEvents *graph.EventKind `json:"node_events,omitempty"`
	// BreakBefore and BreakAfter are the run's own breakpoints, besides
	// the compiled graph's (as graph.BreakBefore and graph.BreakAfter).
	BreakBefore []string `json:"break_before,omitempty"`
	BreakAfter  []string `json:"break_after,omitempty"`
	// Resumed says the run continues from a breakpoint after a step, so
	// the breakpoints before the step at From are not asked again.
	Resumed bool `json:"resumed,omitempty"`
}

// taskOutput is what the activity returns: the task's result and the
// events its node raised, in order.
type taskOutput struct {
	graph.TaskResult
	Events []wireEvent `json:"node_events,omitempty"`
	// Key names the attempt (activity id and attempt number), whose
	// events signalled earlier are a prefix of Events.
	Key string `json:"key,omitempty"`
}

// wireEvent is a graph.Event with the state encoded.
type wireEvent struct {
	Kind       graph.EventKind `json:"kind"`
	Step       int             `json:"step"`
	Node       string          `json:"node,omitempty"`
	Task       int             `json:"task,omitempty"`
	Written    []string        `json:"written,omitempty"`
	State      json.RawMessage `json:"state,omitempty"`
	Interrupts []graph.Pending `json:"interrupts,omitempty"`
	Payload    json.RawMessage `json:"payload,omitempty"`
	Token      string          `json:"token,omitempty"`
}

// Phase says where a run is.
type Phase string

// The phases of a run.
const (
	PhaseRunning     Phase = "running"
	PhaseInterrupted Phase = "interrupted"
	PhaseDone        Phase = "done"
	PhaseFailed      Phase = "failed"
)

// statusPage is the answer of QueryStatus.
type statusPage struct {
	Phase      Phase           `json:"phase"`
	Step       int             `json:"step"`
	State      json.RawMessage `json:"state"`
	Interrupts []graph.Pending `json:"interrupts,omitempty"`
	Running    []string        `json:"running,omitempty"`
	Error      string          `json:"error,omitempty"`
	// Base is the index of the first event this run holds; Events start
	// at max(after, Base) and Next is the index after the last one.
	Base   int         `json:"base"`
	Next   int         `json:"next"`
	Events []wireEvent `json:"events,omitempty"`
}

// failure is the detail of a run's or an activity's failure.
type failure struct {
	Node     string `json:"node,omitempty"`
	Step     int    `json:"step"`
	Attempts int    `json:"attempts,omitempty"`
	Limit    int    `json:"limit,omitempty"`
	Message  string `json:"message"`
}
