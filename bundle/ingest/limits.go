package ingest

// Limits bound what one ingest may read, so that a hostile or mistaken input
// (a zip bomb, a tar claiming a terabyte) fails with a clear error instead of
// filling the disk or the memory.
type Limits struct {
	// MaxTotalBytes caps the sum of all decompressed artifact bytes.
	MaxTotalBytes int64
	// MaxMemberBytes caps one artifact's decompressed size.
	MaxMemberBytes int64
	// MaxMembers caps the number of files taken from all inputs together.
	MaxMembers int
}

// Default limits. A Go service's core is roughly its heap plus stacks; the
// largest services coroner is meant for run heaps of tens of GiB, so one
// member may be 64 GiB and an incident 128 GiB. An incident is a handful of
// artifacts; 10 000 members leaves room for per-goroutine dumps while
// stopping zips that claim millions of entries.
const (
	DefaultMaxTotalBytes  = 128 << 30
	DefaultMaxMemberBytes = 64 << 30
	DefaultMaxMembers     = 10000
)

// DefaultLimits returns the limits used when none are given.
func DefaultLimits() Limits {
	return Limits{MaxTotalBytes: DefaultMaxTotalBytes, MaxMemberBytes: DefaultMaxMemberBytes, MaxMembers: DefaultMaxMembers}
}

// orDefault fills zero fields with the defaults.
func (l Limits) orDefault() Limits {
	d := DefaultLimits()
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	if l.MaxMemberBytes <= 0 {
		l.MaxMemberBytes = d.MaxMemberBytes
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = d.MaxMembers
	}
	return l
}
