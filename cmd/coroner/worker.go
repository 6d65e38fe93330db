package main

// workers maps a hidden worker name to its entry point. coroner re-executes
// itself as "coroner __worker NAME ARGS..." to run parsers that can die in
// ways recover cannot catch (delve's core reader, debug/dwarf on hostile
// input) under a memory limit and a time budget.
var workers = map[string]func(args []string) int{}

// runWorker runs a worker when args name one and reports whether it did.
func runWorker(args []string) bool {
	if len(args) < 3 || args[1] != "__worker" {
		return false
	}
	w, ok := workers[args[2]]
	if !ok {
		return false
	}
	code := w(args[3:])
	exit(code)
	return true
}
