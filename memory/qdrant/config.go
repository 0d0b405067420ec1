package qdrant

import (
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/jedisos/jedisos/memory"
	"google.golang.org/grpc"
)

// DefaultCollection is the collection name used when Config.Collection is
// empty.
const DefaultCollection = "jedisos_memory"

// Names of the vectors in the collection.
const (
	// DenseVector is the name of the dense (cosine) vector.
	DenseVector = "dense"
	// SparseVector is the name of the sparse BM25 vector (IDF modifier).
	SparseVector = "bm25"
	// EntityVector is the name of the sparse entity vector (IDF modifier):
	// one index per (bank, entity key) a memory carries, plus a per-bank
	// marker index every memory of the bank holds. Qdrant's IDF over it
	// is the entity arm's IDF (see the package documentation).
	EntityVector = "entities"
)

// Config configures a [Store]. Host, Port, APIKey, UseTLS and TLSConfig
// are passed to qdrant.NewClient; the rest shape the collection and the
// store's behaviour. The zero value of every optional field means its
// default.
type Config struct {
	// Host is the Qdrant server's host name (default "localhost").
	Host string
	// Port is the gRPC port (default 6334; the REST port 6333 does not
	// work).
	Port int
	// APIKey is sent as "api-key" metadata with every call. It never
	// appears in an error or in the formatted Config.
	APIKey string
	// UseTLS connects with TLS (TLS 1.3 unless TLSConfig says otherwise).
	UseTLS bool
	// TLSConfig overrides the TLS settings.
	TLSConfig *tls.Config
	// DialOptions are extra gRPC dial options (interceptors, ...).
	DialOptions []grpc.DialOption
	// SkipCompatibilityCheck skips the client/server version check that
	// qdrant.NewClient performs on connect.
	SkipCompatibilityCheck bool

	// Collection holds every bank's memories and profiles (default
	// DefaultCollection).
	Collection string
	// Dimension is the embedder's dimension. It is required when the
	// collection does not exist yet; when it does, 0 adopts the
	// collection's dimension and any other value must match it.
	Dimension int
	// BatchSize is the most points per upsert, get or scroll call
	// (default 256). Calls carrying vectors use fewer when the vectors
	// alone would pass 2 MiB (upsert) or 1 MiB (get, scroll), keeping
	// messages under gRPC's default 4 MiB limit.
	BatchSize int

	// MaxRetries is how many times a call failing with Unavailable or
	// DeadlineExceeded is retried (default 5; negative disables retries).
	MaxRetries int
	// RetryBase is the first backoff delay (default 50ms); each retry
	// doubles it, up to RetryMax (default 2s), with jitter. Retries never
	// outlive the caller's context deadline.
	RetryBase time.Duration
	// RetryMax caps one backoff delay.
	RetryMax time.Duration
	// CallTimeout bounds each attempt of a call (0: only the caller's
	// context bounds it). An attempt that times out is retried.
	CallTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.Host == "" {
		c.Host = "localhost"
	}
	if c.Port == 0 {
		c.Port = 6334
	}
	if c.Collection == "" {
		c.Collection = DefaultCollection
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 5
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.RetryBase == 0 {
		c.RetryBase = 50 * time.Millisecond
	}
	if c.RetryMax == 0 {
		c.RetryMax = 2 * time.Second
	}
	if c.RetryMax < c.RetryBase {
		c.RetryMax = c.RetryBase
	}
	return c
}

// validate reports the first bad field; c has its defaults applied.
func (c Config) validate() error {
	switch {
	case c.Port < 0 || c.Port > 65535:
		return fmt.Errorf("%w: qdrant config: port %d outside 1..65535", memory.ErrInvalid, c.Port)
	case c.Dimension < 0:
		return fmt.Errorf("%w: qdrant config: dimension %d must be >= 0", memory.ErrInvalid, c.Dimension)
	case c.BatchSize < 0:
		return fmt.Errorf("%w: qdrant config: batch size %d must be > 0", memory.ErrInvalid, c.BatchSize)
	case c.RetryBase < 0 || c.RetryMax < 0 || c.CallTimeout < 0:
		return fmt.Errorf("%w: qdrant config: retry base %v, retry max %v and call timeout %v must be >= 0",
			memory.ErrInvalid, c.RetryBase, c.RetryMax, c.CallTimeout)
	case strings.TrimSpace(c.Collection) != c.Collection || strings.ContainsAny(c.Collection, "/ "):
		return fmt.Errorf("%w: qdrant config: collection name %q must not contain spaces or '/'", memory.ErrInvalid, c.Collection)
	}
	return nil
}

// String formats the configuration with the API key redacted, so a
// Config can be logged safely.
func (c Config) String() string {
	key := ""
	if c.APIKey != "" {
		key = "[redacted]"
	}
	return fmt.Sprintf("qdrant.Config{Host:%q Port:%d APIKey:%q UseTLS:%t Collection:%q Dimension:%d BatchSize:%d MaxRetries:%d RetryBase:%v RetryMax:%v CallTimeout:%v}",
		c.Host, c.Port, key, c.UseTLS, c.Collection, c.Dimension, c.BatchSize, c.MaxRetries, c.RetryBase, c.RetryMax, c.CallTimeout)
}

// GoString is String: %#v must not print the API key either.
func (c Config) GoString() string { return c.String() }
