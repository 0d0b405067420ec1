package tools

import (
	"context"
	"errors"
	"testing"
	"time"
)

type ctxKey struct{}

func TestCallContextTimesOut(t *testing.T) {
	parent, cancelParent := context.WithCancelCause(context.WithValue(context.Background(), ctxKey{}, "v"))
	defer cancelParent(nil)
	start := time.Now()
	c := newCallContext(parent, start, 30*time.Millisecond)
	if d, ok := c.Deadline(); !ok || !d.Equal(start.Add(30*time.Millisecond)) {
		t.Fatalf("Deadline() = %v, %v; want %v", d, ok, start.Add(30*time.Millisecond))
	}
	if got := c.Value(ctxKey{}); got != "v" {
		t.Fatalf("Value = %v, want the parent's value v", got)
	}
	if err := c.Err(); err != nil {
		t.Fatalf("Err() before the deadline = %v", err)
	}
	derived, cancelDerived := context.WithCancel(c)
	defer cancelDerived()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after the deadline")
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Fatalf("Done closed after %v, before the deadline", time.Since(start))
	}
	if err := c.Err(); err != context.DeadlineExceeded {
		t.Fatalf("Err() = %v, want DeadlineExceeded", err)
	}
	<-derived.Done()
	if err := derived.Err(); err != context.DeadlineExceeded {
		t.Fatalf("derived Err() = %v, want DeadlineExceeded", err)
	}
	cancelParent(errors.New("later"))
	if cause := context.Cause(c); cause != context.DeadlineExceeded {
		t.Fatalf("Cause = %v, want DeadlineExceeded (the call ended first)", cause)
	}
	c.cancel()
	if err := c.Err(); err != context.DeadlineExceeded {
		t.Fatalf("Err() after cancel = %v, want DeadlineExceeded kept", err)
	}
}

func TestCallContextExpiresByClockWithoutDone(t *testing.T) {
	c := newCallContext(context.Background(), time.Now().Add(-time.Second), time.Millisecond)
	if err := c.Err(); err != context.DeadlineExceeded {
		t.Fatalf("Err() past the deadline = %v, want DeadlineExceeded", err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed for an ended context")
	}
	if cause := context.Cause(c); cause != context.DeadlineExceeded {
		t.Fatalf("Cause = %v, want DeadlineExceeded", cause)
	}
}

func TestCallContextFollowsParent(t *testing.T) {
	parent, cancelParent := context.WithCancelCause(context.Background())
	c := newCallContext(parent, time.Now(), time.Hour)
	done := c.Done()
	stop := make(chan struct{})
	context.AfterFunc(c, func() { close(stop) })
	why := errors.New("user left")
	cancelParent(why)
	<-done
	<-stop
	if err := c.Err(); err != context.Canceled {
		t.Fatalf("Err() = %v, want Canceled", err)
	}
	if cause := context.Cause(c); cause != why {
		t.Fatalf("Cause = %v, want the parent's cause", cause)
	}
	c.cancel()
}

func TestCallContextParentDeadlineSooner(t *testing.T) {
	parent, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pd, _ := parent.Deadline()
	c := newCallContext(parent, time.Now(), time.Hour)
	if d, _ := c.Deadline(); !d.Equal(pd) {
		t.Fatalf("Deadline() = %v, want the parent's %v", d, pd)
	}
	c.cancel()
}

func TestCallContextCancel(t *testing.T) {
	c := newCallContext(context.Background(), time.Now(), time.Hour)
	done := c.Done()
	c.cancel()
	select {
	case <-done:
	default:
		t.Fatal("Done not closed by cancel")
	}
	if err := c.Err(); err != context.Canceled {
		t.Fatalf("Err() = %v, want Canceled", err)
	}
	c2 := newCallContext(context.Background(), time.Now(), time.Hour)
	c2.cancel()
	select {
	case <-c2.Done():
	default:
		t.Fatal("Done made after cancel is open")
	}
}

func TestCallContextAfterFunc(t *testing.T) {
	c := newCallContext(context.Background(), time.Now(), time.Hour)
	ran := make(chan string, 3)
	stopped := c.AfterFunc(func() { ran <- "stopped" })
	c.AfterFunc(func() { ran <- "kept" })
	derived, cancelDerived := context.WithCancel(c)
	defer cancelDerived()
	if !stopped() {
		t.Fatal("stop before the end = false, want true")
	}
	if stopped() {
		t.Fatal("second stop = true, want false")
	}
	c.cancel()
	if got := <-ran; got != "kept" {
		t.Fatalf("ran %q, want kept", got)
	}
	<-derived.Done()
	if err := derived.Err(); err != context.Canceled {
		t.Fatalf("derived Err() = %v, want Canceled", err)
	}
	late := c.AfterFunc(func() { ran <- "late" })
	if got := <-ran; got != "late" {
		t.Fatalf("ran %q, want late (AfterFunc on an ended context runs at once)", got)
	}
	if late() {
		t.Fatal("stop of a started function = true, want false")
	}
	select {
	case got := <-ran:
		t.Fatalf("unexpected run %q", got)
	default:
	}
}
