package lockwait

import "testing"

func TestEnclosing(t *testing.T) {
	for in, want := range map[string]string{
		"main.(*store).sweep.deferwrap1": "main.(*store).sweep (deferred unlock)",
		"main.(*store).sweep":            "main.(*store).sweep",
		"main.main.func1":                "main.main.func1",
	} {
		if got := enclosing(in); got != want {
			t.Errorf("enclosing(%q) = %q, want %q", in, got, want)
		}
	}
}
