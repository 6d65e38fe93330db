package main

import (
	"os"
	"testing"

	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/internal/pgtest"
)

// TestMain lets tests re-execute this binary as a recorded workload.
func TestMain(m *testing.M) {
	analyzetest.Main()
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}
