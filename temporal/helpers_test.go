package temporal_test

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
)

type (
	activityInfo  = activity.Info
	encodedValues = converter.EncodedValues
)

// quiet discards the SDK's logs.
type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}
