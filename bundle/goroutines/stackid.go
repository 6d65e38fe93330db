package goroutines

// StackID names a Frames slice by its backing array and length. The core
// reader and the text parsers give goroutines parked in the same place one
// shared slice, so goroutines with the same StackID have the same frames,
// and work done once per distinct stack can be keyed by it without
// comparing frames. Two IDs may still name equal frames.
type StackID struct {
	first *Frame
	n     int
}

// IDOf returns the StackID of fs; every empty stack has the zero ID.
func IDOf(fs []Frame) StackID {
	if len(fs) == 0 {
		return StackID{}
	}
	return StackID{&fs[0], len(fs)}
}
