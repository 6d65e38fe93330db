package goroutines

import (
	"fmt"
	"strconv"
	"strings"
)

// Filter returns a census holding only the goroutines that match every
// expression. Expressions:
//
//	user | system            runtime-internal or not
//	status=waiting           exact status
//	wait=chan receive        wait reason contains the text
//	func=pkg.Name            some frame's function contains the text
//	file=server.go           some frame's file contains the text
//	created=pkg.Name         the creating function contains the text
//	min-wait=5               waited at least 5 minutes
//	label:key=value          carries pprof label key=value
//	crashed                  the crashing goroutine
func Filter(c *Census, exprs []string) (*Census, error) {
	preds := make([]func(*Goroutine) bool, 0, len(exprs))
	for _, e := range exprs {
		p, err := predicate(e)
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	out := *c
	out.Goroutines = nil
	for i := range c.Goroutines {
		g := &c.Goroutines[i]
		ok := true
		for _, p := range preds {
			if !p(g) {
				ok = false
				break
			}
		}
		if ok {
			out.Goroutines = append(out.Goroutines, *g)
		}
	}
	return &out, nil
}

func predicate(e string) (func(*Goroutine) bool, error) {
	switch e {
	case "user":
		return func(g *Goroutine) bool { return !g.System }, nil
	case "system":
		return func(g *Goroutine) bool { return g.System }, nil
	case "crashed":
		return func(g *Goroutine) bool { return g.Crashed }, nil
	}
	k, v, ok := strings.Cut(e, "=")
	if !ok {
		return nil, fmt.Errorf("filter %q: want user, system, crashed or KEY=VALUE", e)
	}
	switch {
	case k == "status":
		return func(g *Goroutine) bool { return g.Status == v }, nil
	case k == "wait":
		return func(g *Goroutine) bool { return strings.Contains(g.WaitReason, v) }, nil
	case k == "func":
		return func(g *Goroutine) bool { return anyFrame(g, func(f Frame) bool { return strings.Contains(f.Func, v) }) }, nil
	case k == "file":
		return func(g *Goroutine) bool { return anyFrame(g, func(f Frame) bool { return strings.Contains(f.File, v) }) }, nil
	case k == "created":
		return func(g *Goroutine) bool { return g.CreatedBy != nil && strings.Contains(g.CreatedBy.Func, v) }, nil
	case k == "min-wait":
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("filter %q: min-wait wants minutes", e)
		}
		return func(g *Goroutine) bool { return g.WaitMinutes >= n }, nil
	case strings.HasPrefix(k, "label:"):
		lk := strings.TrimPrefix(k, "label:")
		return func(g *Goroutine) bool { return g.Labels[lk] == v }, nil
	}
	return nil, fmt.Errorf("filter %q: unknown key %q (status, wait, func, file, created, min-wait, label:NAME)", e, k)
}

func anyFrame(g *Goroutine, f func(Frame) bool) bool {
	for _, fr := range g.Frames {
		if f(fr) {
			return true
		}
	}
	return false
}
