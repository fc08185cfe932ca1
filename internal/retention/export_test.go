package retention

// SetAfter lets the external tests watch a scheduler's purges.
func SetAfter(s *Scheduler, f func(Result, error)) { s.after = f }
