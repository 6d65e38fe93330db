// Package pprofdata reads pprof protobuf profiles (CPU, heap, allocs, mutex,
// block, goroutine, threadcreate) safely: gzip is decompressed through a
// capped reader before github.com/google/pprof/profile parses the bytes,
// because profile.Parse decompresses without any limit.
//
// A per-kind reader: it imports no other coroner package; bundle/ingest
// sniffs profiles with its Recognize.
package pprofdata

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// MaxBytes caps a profile's decompressed size. Go's heap profile of a large
// service with hundreds of thousands of allocation sites is tens of MiB of
// protobuf; parsing costs several times that in memory, so 64 MiB keeps
// ingest within its memory budget while admitting every real profile.
const MaxBytes = 64 << 20

// ErrNotProfile reports bytes that are not a pprof protobuf profile.
var ErrNotProfile = errors.New("not a pprof profile")

// ErrTooLarge reports a profile that decompresses past MaxBytes.
var ErrTooLarge = errors.New("profile exceeds size limit")

// Parse reads a gzip-compressed or plain protobuf profile from r.
func Parse(r io.Reader) (*profile.Profile, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(2)
	var src io.Reader = br
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		g, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrNotProfile, err)
		}
		defer g.Close()
		src = g
	}
	data, err := io.ReadAll(io.LimitReader(src, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: decompressing: %v", ErrNotProfile, err)
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("decompressed size exceeds %d bytes: %w", MaxBytes, ErrTooLarge)
	}
	if !LooksLikeProto(data) {
		return nil, ErrNotProfile
	}
	p, err := profile.ParseUncompressed(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotProfile, err)
	}
	if err := p.CheckValid(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotProfile, err)
	}
	if len(p.SampleType) == 0 {
		return nil, fmt.Errorf("%w: no sample types", ErrNotProfile)
	}
	return p, nil
}

// LooksLikeProto reports whether b starts with a field of the Profile
// message (profile.proto fields 1 to 14, varint or length-delimited):
// anything else is not a profile, and parsing it would only waste time.
// Go's runtime/pprof starts with time_nanos (9); pprof tools start with
// sample_type (1).
func LooksLikeProto(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	field, wire := b[0]>>3, b[0]&7
	return field >= 1 && field <= 14 && (wire == 0 || wire == 2)
}

// Describe parses the profile in r and returns manifest attributes:
// sample_types, period, duration, time, profile_type, samples, and the
// main mapping's build_id and file when the profile records them.
func Describe(r io.ReaderAt, size int64) (map[string]string, error) {
	p, err := Parse(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, err
	}
	return Attrs(p), nil
}

// Attrs summarizes a parsed profile as manifest attributes.
func Attrs(p *profile.Profile) map[string]string {
	var types []string
	for _, st := range p.SampleType {
		types = append(types, st.Type+"/"+st.Unit)
	}
	a := map[string]string{
		"sample_types": strings.Join(types, ","),
		"profile_type": profileType(p),
		"samples":      strconv.Itoa(len(p.Sample)),
	}
	if p.PeriodType != nil {
		a["period"] = strconv.FormatInt(p.Period, 10) + " " + p.PeriodType.Type + "/" + p.PeriodType.Unit
	}
	if p.DurationNanos > 0 {
		a["duration"] = time.Duration(p.DurationNanos).String()
	}
	if p.TimeNanos > 0 {
		a["time"] = time.Unix(0, p.TimeNanos).UTC().Format(time.RFC3339Nano)
	}
	if len(p.Mapping) > 0 {
		m := p.Mapping[0]
		if m.BuildID != "" {
			a["build_id"] = m.BuildID
		}
		if m.File != "" {
			a["main_file"] = m.File
		}
	}
	return a
}

// profileType names the profile by its sample types, as the Go runtime
// writes them (runtime/pprof: "samples/count,cpu/nanoseconds" for CPU;
// alloc_*/inuse_* for heap and allocs; contentions/delay for mutex and
// block, which share sample types; goroutine and threadcreate counts).
func profileType(p *profile.Profile) string {
	has := map[string]bool{}
	for _, st := range p.SampleType {
		has[st.Type] = true
	}
	switch {
	case has["cpu"]:
		return "cpu"
	case has["inuse_space"] || has["alloc_space"]:
		return "heap"
	case has["contentions"] || has["delay"]:
		return "contention"
	case has["goroutine"]:
		return "goroutine"
	case has["threadcreate"]:
		return "threadcreate"
	}
	keys := make([]string, 0, len(has))
	for k := range has {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return "other:" + strings.Join(keys, "+")
}
