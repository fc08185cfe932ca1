package dedup

// SetBeforeChunk makes f run before each snapshot chunk is read, until the
// returned function is called.
func SetBeforeChunk(f func(id string, n int)) (restore func()) {
	beforeChunk = f
	return func() { beforeChunk = nil }
}

// SetBeforeBatch makes f run after each batch a rebuild adds, until the
// returned function is called.
func SetBeforeBatch(f func(n int)) (restore func()) {
	beforeBatch = f
	return func() { beforeBatch = nil }
}
