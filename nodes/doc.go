// Package nodes holds jedisos's prebuilt agent nodes and the prebuilt ReAct
// agent.
//
// The nodes read and write an [AgentState]. Use AgentState as a graph's
// state, or embed it in your own state struct: the nodes are generic over
// any state S whose pointer has the Agent method that embedding AgentState
// promotes.
//
//   - [LLMReason] ("llm_reason") calls a model — the llm Router, normally —
//     with the conversation, the tools' schemas and the recalled memories,
//     streams its tokens into the graph's stream, and appends the assistant
//     message with model, deployment, usage, cost and latency recorded on it.
//   - [ToolExec] ("tool_exec") runs the last assistant message's tool calls
//     in parallel through a tools.Registry and appends the tool messages;
//     bad calls become messages the model can correct.
//   - [MemoryRecall] ("memory_recall") recalls from the state's memory bank
//     for the latest user message.
//   - [MemoryRetain] ("memory_retain") retains the finished turn, at once or
//     in the background through a [Retainer] that never drops a turn on
//     shutdown.
//   - [RouteTools] sends the run to tool_exec when the model asked for
//     tools, elsewhere otherwise.
//
// [NewReAct] wires them into memory_recall -> llm_reason <-> tool_exec,
// then llm_reason -> memory_retain -> END once the model answers.
package nodes
