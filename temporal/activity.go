package temporal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	sdktemporal "go.temporal.io/sdk/temporal"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// runTask is the activity: one attempt of one node task.
func (g *Graph[S]) runTask(ctx context.Context, req graph.TaskRequest) (taskOutput, error) {
	info := activity.GetInfo(ctx)
	var evMu sync.Mutex
	var events []wireEvent
	req.OnEvent = func(ev graph.NodeEvent) bool {
		we := wireEvent{Kind: ev.Kind, Step: ev.Step, Node: ev.Node, Task: ev.Task, Token: ev.Token}
		if ev.Kind == graph.EventCustom {
			b, err := json.Marshal(ev.Payload)
			if err != nil {
				activity.GetLogger(ctx).Warn("jedisos: an Emit payload cannot be encoded; the event is dropped", "node", ev.Node, "step", ev.Step, "error", err)
				return false
			}
			we.Payload = b
		}
		evMu.Lock()
		events = append(events, we)
		evMu.Unlock()
		return ctx.Err() == nil
	}
	req.Attempt = int(info.Attempt)
	// Once results saved by an earlier attempt of this activity.
	if activity.HasHeartbeatDetails(ctx) {
		var saved []state.Memo
		if err := activity.GetHeartbeatDetails(ctx, &saved); err == nil {
			req.Memos = mergeMemos(req.Memos, saved)
		}
	}
	var mu sync.Mutex
	last := req.Memos
	req.SaveMemos = func(m []state.Memo) error {
		mu.Lock()
		last = m
		mu.Unlock()
		activity.RecordHeartbeat(ctx, m)
		return nil
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if hb := info.HeartbeatTimeout; hb > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(max(hb/3, 10*time.Millisecond))
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					mu.Lock()
					m := last
					mu.Unlock()
					activity.RecordHeartbeat(ctx, m)
				}
			}
		}()
	}
	key := fmt.Sprintf("%s/%d", info.ActivityID, info.Attempt)
	if req.Events != 0 && g.opts.EventFlushInterval > 0 {
		// While the node runs, what it emitted is signalled to the
		// workflow every EventFlushInterval, so Stream shows it before the
		// node ends; a node quicker than that sends no signal at all.
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(g.opts.EventFlushInterval)
			defer t.Stop()
			sent := 0
			for {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				evMu.Lock()
				batch := eventBatch{Step: req.Step, Task: req.Task, Key: key, From: sent, Events: events[sent:len(events):len(events)]}
				evMu.Unlock()
				if len(batch.Events) == 0 {
					continue
				}
				if signal(ctx, info, batch) {
					sent += len(batch.Events)
				}
			}
		}()
	}
	tres, err := g.st.RunTask(ctx, req)
	close(stop)
	wg.Wait()
	evMu.Lock()
	res := taskOutput{TaskResult: tres, Events: events, Key: key}
	evMu.Unlock()
	if err == nil {
		return res, nil
	}
	var te *graph.TaskError
	if !errors.As(err, &te) {
		// A request the graph cannot run (an unknown node, a state that
		// does not decode): no retry mends it.
		return res, sdktemporal.NewNonRetryableApplicationError(err.Error(), ErrTypeRun, nil, failure{Node: req.Node, Step: req.Step, Message: err.Error()})
	}
	typ := ErrTypeNode
	var pe *graph.PanicError
	if errors.As(err, &pe) {
		typ = ErrTypePanic
	}
	return res, sdktemporal.NewApplicationErrorWithOptions(te.Err.Error(), typ, sdktemporal.ApplicationErrorOptions{
		NonRetryable:   !te.Retry,
		NextRetryDelay: te.Backoff,
		Details:        []any{failure{Node: te.Node, Step: te.Step, Attempts: te.Attempt, Message: te.Err.Error()}},
	})
}

// signal sends a batch of events to the activity's workflow and reports
// whether it was taken. Without a client (the SDK's test environment) it
// reports false: the events then come with the result only.
func signal(ctx context.Context, info activity.Info, b eventBatch) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	c := activity.GetClient(ctx)
	if c == nil {
		return false
	}
	return c.SignalWorkflow(ctx, info.WorkflowExecution.ID, info.WorkflowExecution.RunID, SignalEvents, b) == nil
}

// mergeMemos adds to a the memos of b whose keys a lacks.
func mergeMemos(a, b []state.Memo) []state.Memo {
	if len(b) == 0 {
		return a
	}
	have := make(map[string]bool, len(a))
	for _, m := range a {
		have[m.Key] = true
	}
	out := append([]state.Memo(nil), a...)
	for _, m := range b {
		if !have[m.Key] {
			out = append(out, m)
		}
	}
	return out
}
