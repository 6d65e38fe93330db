package analyze

import "strings"

// CanonicalSignature is the one spelling of an incident signature that
// coroner prints, stores in the index and writes in every report and JSON:
// the cause, a colon, and the key the cause's analyzer made
// ("crash:v1:5192be24f55af9d8", "gc_stw:example.com/svc.(*Cache).Fill#1a2b3c4d").
// A key that already starts with "cause:" is returned as is.
func CanonicalSignature(cause, key string) string {
	if key == "" || strings.HasPrefix(key, cause+":") {
		return key
	}
	return cause + ":" + key
}

// SignatureCause returns the cause a canonical signature starts with, and
// false when it starts with none of Causes. The verdict's signature when
// nothing was wrong is the cause alone: "none".
func SignatureCause(sig string) (string, bool) {
	if sig == CauseNone {
		return sig, true
	}
	for _, c := range Causes {
		if strings.HasPrefix(sig, c+":") {
			return c, true
		}
	}
	return "", false
}
