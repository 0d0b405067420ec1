// Package devserver starts a complete Temporal server (frontend, history,
// matching and worker services) inside the calling process, persisting to
// SQLite: in memory, or in a file that survives restarts. It listens on
// 127.0.0.1 only and is meant for tests, examples and local development; a
// production deployment points its clients at a real Temporal cluster
// instead.
//
// It is built on the server's own temporal.NewServer with the SQLite
// persistence plugin, the same pieces the Temporal CLI's dev server uses.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// DefaultNamespace is the namespace registered when Options.Namespaces is
// empty.
const DefaultNamespace = "default"

// Options configure a Server. The zero value is an in-memory server with
// the "default" namespace, its logs discarded.
type Options struct {
	// DatabaseFile, when set, keeps the server's state in this SQLite file
	// (created with its schema when missing), so workflows survive a
	// restart of the server. Empty means in memory.
	DatabaseFile string
	// Port is the frontend's gRPC port on 127.0.0.1; 0 picks a free one.
	Port int
	// Namespaces registered at start; empty means DefaultNamespace.
	Namespaces []string
	// Logger receives the server's logs; nil discards them.
	Logger log.Logger
}

// Server is a running Temporal server.
type Server struct {
	srv       temporal.Server
	hostPort  string
	namespace string
}

// Start starts a Temporal server and returns once its frontend answers.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if len(opts.Namespaces) == 0 {
		opts.Namespaces = []string{DefaultNamespace}
	}
	logger := opts.Logger
	if logger == nil {
		logger = log.NewNoopLogger()
	}
	frontend := opts.Port
	ports, err := freePorts(8)
	if err != nil {
		return nil, err
	}
	if frontend == 0 {
		frontend, ports = ports[0], ports[1:]
	}

	sqlCfg := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		ConnectAttributes: map[string]string{},
	}
	if opts.DatabaseFile == "" {
		sqlCfg.ConnectAttributes["mode"] = "memory"
		sqlCfg.ConnectAttributes["cache"] = "shared"
		// Shared-cache in-memory databases are named per process; a
		// random name keeps two servers in one process apart.
		sqlCfg.DatabaseName = fmt.Sprintf("jedisos-%d", rand.Int64())
	} else {
		sqlCfg.ConnectAttributes["mode"] = "rwc"
		sqlCfg.DatabaseName = opts.DatabaseFile
		if _, err := os.Stat(opts.DatabaseFile); errors.Is(err, os.ErrNotExist) {
			if _, err := os.Stat(filepath.Dir(opts.DatabaseFile)); err != nil {
				return nil, fmt.Errorf("devserver: database file %q: %w", opts.DatabaseFile, err)
			}
			if err := sqlite.SetupSchema(sqlCfg); err != nil {
				return nil, fmt.Errorf("devserver: creating the schema in %q: %w", opts.DatabaseFile, err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("devserver: database file %q: %w", opts.DatabaseFile, err)
		}
	}

	const host = "127.0.0.1"
	hostPort := net.JoinHostPort(host, fmt.Sprint(frontend))
	svc := func(grpc, membership int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: grpc, MembershipPort: membership, BindOnIP: host}}
	}
	cfg := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: host},
			Metrics: &metrics.Config{Prometheus: &metrics.PrometheusConfig{
				ListenAddress: net.JoinHostPort(host, fmt.Sprint(ports[0])),
				HandlerPath:   "/metrics",
			}},
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: hostPort},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": svc(frontend, ports[1]),
			"history":  svc(ports[2], ports[3]),
			"matching": svc(ports[4], ports[5]),
			"worker":   svc(ports[6], 0),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: hostPort},
	}
	// The worker service's membership port must differ from the others.
	wsvc := cfg.Services["worker"]
	extra, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	wsvc.RPC.MembershipPort = extra[0]
	cfg.Services["worker"] = wsvc

	var nss []*sqlite.NamespaceConfig
	for _, ns := range opts.Namespaces {
		nc, err := sqlite.NewNamespaceConfig("active", ns, false, nil)
		if err != nil {
			return nil, fmt.Errorf("devserver: namespace %q: %w", ns, err)
		}
		nss = append(nss, nc)
	}
	if err := sqlite.CreateNamespaces(sqlCfg, nss...); err != nil {
		return nil, fmt.Errorf("devserver: registering namespaces: %w", err)
	}

	dc := dynamicconfig.StaticClient{
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): []dynamicconfig.ConstrainedValue{{Value: true}},
		// A worker that schedules an activity on its own task queue gets
		// the activity task in the reply to its workflow task, saving a
		// round trip per step (off by default in a self-hosted server).
		dynamicconfig.EnableActivityEagerExecution.Key(): []dynamicconfig.ConstrainedValue{{Value: true}},
		// One partition per task queue: with one matching host, more only
		// add forwarding hops between partitions.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  []dynamicconfig.ConstrainedValue{{Value: 1}},
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): []dynamicconfig.ConstrainedValue{{Value: 1}},
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dc),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("devserver: starting: %w", err)
	}
	s := &Server{srv: srv, hostPort: hostPort, namespace: opts.Namespaces[0]}
	if err := s.waitReady(ctx); err != nil {
		_ = srv.Stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls the frontend until the first namespace is served.
func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		c, err := client.Dial(client.Options{HostPort: s.hostPort, Namespace: s.namespace, Logger: quietLogger{}})
		if err == nil {
			_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
			if err == nil {
				_, err = c.WorkflowService().DescribeNamespace(ctx, describeNamespace(s.namespace))
			}
			c.Close()
			if err == nil {
				return nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("devserver: waiting for the frontend at %s: %w", s.hostPort, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("devserver: the frontend at %s did not become ready: %w", s.hostPort, last)
}

// HostPort is the frontend's address, for client.Options.HostPort.
func (s *Server) HostPort() string { return s.hostPort }

// Namespace is the first registered namespace.
func (s *Server) Namespace() string { return s.namespace }

// Dial returns a client of the server's first namespace; opts.HostPort and
// an empty opts.Namespace are filled in.
func (s *Server) Dial(opts client.Options) (client.Client, error) {
	opts.HostPort = s.hostPort
	if opts.Namespace == "" {
		opts.Namespace = s.namespace
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger{}
	}
	return client.Dial(opts)
}

// Stop stops the server's services.
func (s *Server) Stop() error { return s.srv.Stop() }

// freePorts reserves n distinct free loopback TCP ports.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("devserver: finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
