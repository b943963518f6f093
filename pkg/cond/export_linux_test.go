package cond

// LockInternals takes b's internal lock and keeps it: a test child that
// calls it and is then killed dies in the middle of a barrier update.
func (b *SharedBarrier) LockInternals() error { return b.lock() }
