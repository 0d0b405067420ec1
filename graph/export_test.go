package graph

import "time"

// RetryWait exposes a policy's jittered wait to the tests.
func RetryWait(p RetryPolicy, attempt int) time.Duration { return p.wait(attempt) }
