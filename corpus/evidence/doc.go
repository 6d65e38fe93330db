// Package evidence reads the raw numbers a person would read off a capture
// — gctrace totals, a CPU profile's share in given functions, a mutex
// profile's delay, goroutine wait states, a crash banner — so corpus tests
// can prove that each scenario really exhibits its root cause. It shares no
// code with the analyzers the corpus is used to judge.
package evidence
