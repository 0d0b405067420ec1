//go:build !amd64 || purego

package memory

// useAVX2 is false: there is no vector kernel on this platform or build.
var useAVX2 = false

func dotRowsAsm(q, rows []float32, dim int, out []float32) bool { return false }

func axpyAsm(a, x []float32, q float32) bool { return false }

func reduceAsm(acc *[8 * colBlock]float32, out []float32) int { return 0 }

func firstGEAsm(s []float32, thr float32) (at, scanned int) { return 0, 0 }
