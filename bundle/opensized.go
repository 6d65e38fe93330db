package bundle

import "os"

// OpenSized opens the file at path for reading and returns it with its
// size, for readers that read at offsets or bound what they read by it.
// On error nothing is left open.
func OpenSized(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}
