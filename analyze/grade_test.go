package analyze

import "testing"

// TestGrade: a value reaching its critical threshold is critical, one
// reaching only its warning threshold a warning, and a measure without a
// critical level (crit ≤ 0) is never critical.
func TestGrade(t *testing.T) {
	for _, tc := range []struct {
		v, warn, crit float64
		sev           Severity
		th            float64
	}{
		{0.01, 0.05, 0.15, Info, 0.05},
		{0.05, 0.05, 0.15, Warning, 0.05},
		{0.10, 0.05, 0.15, Warning, 0.05},
		{0.15, 0.05, 0.15, Critical, 0.15},
		{0.90, 0.05, 0, Warning, 0.05},
		{0.00, 0.05, 0, Info, 0.05},
	} {
		sev, th := Grade(tc.v, tc.warn, tc.crit)
		if sev != tc.sev || th != tc.th {
			t.Errorf("Grade(%v, %v, %v) = %v, %v; want %v, %v", tc.v, tc.warn, tc.crit, sev, th, tc.sev, tc.th)
		}
	}
}
