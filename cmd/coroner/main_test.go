package main

import (
	"os"
	"testing"

	"github.com/coroner/coroner/analyze/analyzetest"
)

// TestMain lets tests re-execute this binary as a recorded workload.
func TestMain(m *testing.M) {
	analyzetest.Main()
	os.Exit(m.Run())
}
