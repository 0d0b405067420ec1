package temporal_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.uber.org/goleak"

	"github.com/jedisos/jedisos/graph"
	jt "github.com/jedisos/jedisos/temporal"
)

// TestActivityHeartbeatStopsWithTheNode checks that the goroutine an
// activity heartbeats from ends with its node, for nodes that succeed and
// nodes that fail.
func TestActivityHeartbeatStopsWithTheNode(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(quiet{})
	opts := goleak.IgnoreCurrent()
	env := ts.NewTestWorkflowEnvironment()
	gb := graph.New[S]()
	gb.AddNode("slow", func(ctx context.Context, s S) (S, error) {
		time.Sleep(50 * time.Millisecond) // a few heartbeats
		s.Count++
		return s, nil
	})
	gb.AddNode("fails", func(ctx context.Context, s S) (S, error) {
		time.Sleep(50 * time.Millisecond)
		return s, errors.New("no")
	})
	gb.AddEdge(graph.START, "slow").AddEdge("slow", "fails").AddEdge("fails", graph.END)
	c, _ := gb.Compile()
	g := newGraph(t, c, "hb", jt.Options{HeartbeatTimeout: 30 * time.Millisecond})
	g.Register(env)
	beats := 0
	env.SetOnActivityHeartbeatListener(func(*activityInfo, encodedValues) { beats++ })
	in, _ := g.Input(S{})
	env.ExecuteWorkflow(g.Name(), in)
	if _, err := result(t, env, g); err == nil || !strings.Contains(err.Error(), "no") {
		t.Fatalf("err = %v, want the failure of node fails", err)
	}
	if beats < 2 {
		t.Fatalf("%d heartbeats from two 50ms nodes with a 30ms heartbeat timeout", beats)
	}
	goleak.VerifyNone(t, opts)
}
