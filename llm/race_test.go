//go:build race

package llm_test

// raceEnabled shrinks the hostile responses of the limit tests under the
// race detector, which makes compressing and parsing them very slow.
const raceEnabled = true
