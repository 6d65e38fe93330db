package goroutines

// idSet is a set of goroutine IDs. The runtime hands IDs out in
// increasing order from 1 (runtime.newproc1, by batches of
// _GoidCacheBatch per P), so the IDs of a dump lie below about the
// number of goroutines the program ever started: a bitmap holds them in
// one bit each, where a map of a hundred thousand would be rebuilt a dozen
// times as it grew. IDs from bitmapMaxID on, of a program that started
// billions of goroutines, or of a hostile dump, go to a map.
type idSet struct {
	bits []uint64
	big  map[int64]bool
}

// bitmapMaxID bounds the bitmap at 8 MiB: 64M IDs.
const bitmapMaxID = 1 << 26

func (s *idSet) has(id int64) bool {
	if id >= 0 && id < bitmapMaxID {
		w := int(id >> 6)
		return w < len(s.bits) && s.bits[w]&(1<<(id&63)) != 0
	}
	return s.big[id]
}

func (s *idSet) add(id int64) {
	if id >= 0 && id < bitmapMaxID {
		w := int(id >> 6)
		if w >= len(s.bits) {
			s.bits = append(s.bits, make([]uint64, w+1-len(s.bits))...)
		}
		s.bits[w] |= 1 << (id & 63)
		return
	}
	if s.big == nil {
		s.big = map[int64]bool{}
	}
	s.big[id] = true
}
