package qdrant

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var (
	// ErrSchema marks an existing collection whose vectors do not match
	// what the store needs (dimension, distance, sparse modifier). The
	// message names what was found and what was expected.
	ErrSchema = errors.New("qdrant: collection schema mismatch")
	// ErrUnavailable marks a call that still failed with a transient gRPC
	// code (Unavailable, DeadlineExceeded) after every retry, or whose
	// next retry would have passed the caller's deadline.
	ErrUnavailable = errors.New("qdrant: server unavailable")
)

// UpsertError reports an Upsert that Qdrant did not acknowledge entirely.
// Batches are written in order with wait=true: the memories in Stored were
// acknowledged and are durable; those in NotStored were not (some of them
// may have been applied before the failure, but none is reported as kept).
// Upserting NotStored again is safe: ids are deterministic.
type UpsertError struct {
	// Stored are the ids of memories Qdrant acknowledged.
	Stored []string
	// NotStored are the ids of memories not acknowledged, in input order.
	NotStored []string
	// Err is the failure of the first unacknowledged batch.
	Err error
}

// Error lists the memories that were not stored (the first ten, then a
// count).
func (e *UpsertError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "qdrant: upsert: %d of %d memories not stored (", len(e.NotStored), len(e.Stored)+len(e.NotStored))
	for i, id := range e.NotStored {
		if i == 10 {
			fmt.Fprintf(&b, ", and %d more", len(e.NotStored)-10)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(id)
	}
	fmt.Fprintf(&b, "): %v", e.Err)
	return b.String()
}

// Unwrap returns the underlying failure.
func (e *UpsertError) Unwrap() error { return e.Err }

// Code returns the gRPC status code carried by err (codes.Unknown when it
// carries none, codes.OK for nil).
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if s, ok := status.FromError(e); ok {
			return s.Code()
		}
	}
	return codes.Unknown
}

func transient(err error) bool {
	switch Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}
