//go:build !amd64 || purego

package memory

func dotRowsAsm(q, rows []float32, dim int, out []float32) bool { return false }
