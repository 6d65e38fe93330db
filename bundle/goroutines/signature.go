package goroutines

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// SignatureVersion is the version of the crash signature algorithm. It
// changes whenever Signature would give a different answer for the same
// crash, so stored signatures are only compared within one version.
const SignatureVersion = 1

// signatureFrames is how many frames a signature uses: the crash site and
// the next user frames that called it. Three tells apart bugs that share a
// utility function while staying stable when callers further up are refactored.
const signatureFrames = 3

// maxSignatureMessage bounds the message part of the short string.
const maxSignatureMessage = 80

var (
	hexRe   = regexp.MustCompile(`0x[0-9a-fA-F]+`)
	digitRe = regexp.MustCompile(`\d+`)
)

// NormalizeMessage removes what varies between two occurrences of the same
// bug: addresses and numbers ("index out of range [5] with length 3" →
// "index out of range [N] with length N").
func NormalizeMessage(m string) string {
	m = hexRe.ReplaceAllString(m, "0x?")
	m = digitRe.ReplaceAllString(m, "N")
	return strings.Join(strings.Fields(m), " ")
}

// SignatureFrames picks the frames a signature is built from: the crash
// site (innermost frame outside the runtime: panic, signal and throw
// machinery such as gopanic, sigpanic, panicmem, fatalpanic, raise are all
// runtime frames), then the next frames outside the runtime and the
// standard library, up to three, with normalized names.
func SignatureFrames(frames []Frame) []string {
	var out []string
	for _, f := range frames {
		if IsRuntimeFunc(f.Func) {
			continue
		}
		if len(out) > 0 && IsStdFunc(f.Func) {
			continue
		}
		out = append(out, NormalizeFunc(f.Func))
		if len(out) == signatureFrames {
			break
		}
	}
	return out
}

// Signature builds the crash signature: a short human-readable string and
// a stable hash key ("crash:v1:" + 16 hex digits, the one spelling every
// command, the index and the reports use) from the crash kind, the
// normalized message and the top normalized frames of the crashing
// goroutine. Line numbers, addresses, arguments and goroutine IDs are left
// out, so the same bug gives the same signature across rebuilds.
func Signature(c *Crash, frames []Frame) (short, key string) {
	kind, msg := "crash", ""
	if c != nil {
		if c.Kind != "" {
			kind = c.Kind
		}
		msg = NormalizeMessage(c.Message)
		if msg == "" && c.Signal != "" {
			msg = c.Signal
		}
	}
	fs := SignatureFrames(frames)
	key = SignatureKey(kind, msg, fs)
	m := msg
	if len(m) > maxSignatureMessage {
		m = m[:maxSignatureMessage] + "…"
	}
	short = kind
	if m != "" {
		short += ": " + m
	}
	if len(fs) > 0 {
		short += " @ " + strings.Join(fs, " < ")
	}
	return short, key
}

// keyPrefix starts every crash signature key: the cause the index files
// crashes under and the algorithm's version (SignatureVersion).
const keyPrefix = "crash:v1:"

// SignatureKey hashes a crash's kind, normalized message and signature
// frames (as SignatureFrames picks them) into the key Signature returns.
// It lets the short string, when its message was not cut, be turned back
// into its key.
func SignatureKey(kind, normalizedMessage string, signatureFrames []string) string {
	h := sha256.New()
	h.Write([]byte(kind + "\x00" + normalizedMessage + "\x00" + strings.Join(signatureFrames, "\x00")))
	return keyPrefix + hex.EncodeToString(h.Sum(nil)[:8])
}
