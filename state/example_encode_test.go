package state_test

import (
	"fmt"

	"github.com/jedisos/jedisos/state"
)

// A state of integers, booleans, strings and slices of strings is written
// without reflection, exactly as encoding/json writes it; a string that
// needs escapes goes through encoding/json.
func ExamplePlan_EncodeState() {
	type Chat struct {
		Turns    int      `reduce:"sum"`
		Messages []string `json:"messages" reduce:"append"`
		Topic    string   `json:"topic,omitempty"`
	}
	p, err := state.NewPlan[Chat]()
	if err != nil {
		panic(err)
	}
	b, err := p.EncodeState(&Chat{Turns: 2, Messages: []string{"hi", "hello"}})
	fmt.Println(string(b), err)
	b, err = p.EncodeState(&Chat{Topic: "<b>"})
	fmt.Println(string(b), err)
	// Output:
	// {"Turns":2,"messages":["hi","hello"]} <nil>
	// {"Turns":0,"messages":null,"topic":"\u003cb\u003e"} <nil>
}
