// Package batchtx is the loop the stores' SaveBatch share: a batch of ops
// in one transaction, saved again without the op that failed.
package batchtx

// Save saves ops in order with tx, which applies a sequence of ops in one
// transaction and returns len(ops) with the commit's error, or the position
// of the op that failed with that op's error, having rolled everything
// back. After a failed op, the ops before it are saved again in a new
// transaction. failed is the error of the op that would have followed ops
// (one that could not be encoded), or nil.
//
// Save returns how many ops were saved and the batch's error: the
// commit's (nothing was saved), else the first failed op's, else failed.
func Save[T any](ops []T, failed error, tx func([]T) (int, error)) (int, error) {
	for len(ops) > 0 {
		n, err := tx(ops)
		if n == len(ops) {
			if err != nil {
				return 0, err // the commit failed
			}
			break
		}
		ops, failed = ops[:n], err
	}
	return len(ops), failed
}
