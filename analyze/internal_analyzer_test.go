package analyze_test

import (
	"context"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/coroner/coroner/analyze"
)

// TestInternalAnalyzer: an internal analyzer runs for those requiring it
// (pulled in by --only too), has no Run record, cannot be named by Only or
// Skip, and does not run when everything requiring it is skipped.
func TestInternalAnalyzer(t *testing.T) {
	var runs atomic.Int32
	dec := an("decode", func(*analyze.Pass) (any, error) { runs.Add(1); return 7, nil })
	dec.Internal, dec.ResultType = true, reflect.TypeFor[int]()
	user := an("user", func(p *analyze.Pass) (any, error) {
		if v, _ := p.ResultOf(dec).(int); v != 7 {
			t.Errorf("user read %v from the internal analyzer", p.ResultOf(dec))
		}
		return nil, nil
	}, dec)
	other := an("other", ok(nil))
	set := []*analyze.Analyzer{user, other}

	for _, o := range []analyze.Options{{}, {Only: []string{"user"}}} {
		runs.Store(0)
		r, err := analyze.Execute(context.Background(), &src{}, set, o)
		if err != nil {
			t.Fatal(err)
		}
		if runs.Load() != 1 {
			t.Errorf("%+v: internal analyzer ran %d times, want once", o, runs.Load())
		}
		for _, run := range r.Analyzers {
			if run.Name == "decode" {
				t.Errorf("%+v: internal analyzer has a Run record", o)
			}
			if run.Status != analyze.StatusOK {
				t.Errorf("%+v: %s %s: %s", o, run.Name, run.Status, run.Error)
			}
		}
	}

	for _, o := range []analyze.Options{{Only: []string{"decode"}}, {Skip: []string{"decode"}}} {
		if _, err := analyze.Execute(context.Background(), &src{}, set, o); err == nil || !strings.Contains(err.Error(), `unknown analyzer "decode"`) {
			t.Errorf("%+v: got %v, want an unknown analyzer", o, err)
		}
	}

	runs.Store(0)
	if _, err := analyze.Execute(context.Background(), &src{}, set, analyze.Options{Skip: []string{"user"}}); err != nil {
		t.Fatal(err)
	}
	if runs.Load() != 0 {
		t.Errorf("internal analyzer ran with its only dependent skipped")
	}
}
