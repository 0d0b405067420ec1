package memory

import "testing"

func BenchmarkDot256(b *testing.B) {
	x := make([]float32, 256)
	y := make([]float32, 256)
	for i := range x {
		x[i], y[i] = float32(i%7)/7, float32(i%5)/5
	}
	var s float32
	for b.Loop() {
		s += dot(x, y)
	}
	_ = s
}

func TestDot(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 256, 259} {
		a, c := make([]float32, n), make([]float32, n)
		var want float64
		for i := range a {
			a[i], c[i] = float32(i+1), float32(2*i-3)
			want += float64(a[i]) * float64(c[i])
		}
		if got := dot(a, c); float64(got) != want {
			t.Fatalf("n=%d: dot = %v, want %v", n, got, want)
		}
	}
}
