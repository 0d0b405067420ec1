package devserver_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/jedisos/jedisos/temporal/devserver"
)

// TestFileDatabaseKeepsWorkflowsAcrossRestarts starts a server on a SQLite
// file, starts a workflow (no worker runs it), restarts the server on the
// same file and finds the workflow still there.
func TestFileDatabaseKeepsWorkflowsAcrossRestarts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db := filepath.Join(t.TempDir(), "temporal.db")
	srv, err := devserver.Start(ctx, devserver.Options{DatabaseFile: db, Namespaces: []string{"jobs"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.HostPort(), "127.0.0.1:") || srv.Namespace() != "jobs" {
		t.Fatalf("server at %s, namespace %s", srv.HostPort(), srv.Namespace())
	}
	c, err := srv.Dial(client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "kept", TaskQueue: "nobody"}, "SomeWorkflow")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}

	srv, err = devserver.Start(ctx, devserver.Options{DatabaseFile: db, Namespaces: []string{"jobs"}})
	if err != nil {
		t.Fatalf("restart on the same file: %v", err)
	}
	defer srv.Stop()
	c, err = srv.Dial(client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	desc, err := c.DescribeWorkflowExecution(ctx, "kept", run.GetRunID())
	if err != nil {
		t.Fatalf("the workflow started before the restart: %v", err)
	}
	if got := desc.WorkflowExecutionInfo.Type.Name; got != "SomeWorkflow" {
		t.Fatalf("workflow type %q", got)
	}
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "jobs"}); err != nil {
		t.Fatal(err)
	}
}

func TestBadDatabasePathIsNamed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := devserver.Start(ctx, devserver.Options{DatabaseFile: "/nonexistent-dir/x/temporal.db"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent-dir/x/temporal.db") {
		t.Fatalf("err = %v, want one naming the file", err)
	}
}
