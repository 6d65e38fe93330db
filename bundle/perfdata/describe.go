package perfdata

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
)

// describeScanRecords bounds how many pipe-mode records Describe reads
// looking for attributes and feature records, which perf writes before the
// first sample.
const describeScanRecords = 4096

// Describe reads the header, attributes and feature sections of a perf.data
// (file or pipe mode) and returns manifest attributes:
//
//	mode           "file" or "pipe"
//	events         comma-separated event names ("cpu-clock")
//	sample_type    comma-separated sample fields ("ip,tid,time,callchain,…")
//	call_graph     "fp", "dwarf" or "none"
//	sample_freq / sample_period
//	hostname, os_release, arch, perf_version, cmdline, nr_cpus
//	build_ids      comma-separated "buildid:path"
//	data_bytes     size of the data section (file mode)
//
// Keys whose values the file does not carry are omitted.
func Describe(ra io.ReaderAt, size int64) (map[string]string, error) {
	r, err := NewReader(ra, size)
	if err != nil {
		return nil, err
	}
	m := map[string]string{"mode": "file"}
	if r.Pipe {
		m["mode"] = "pipe"
		for i := 0; i < describeScanRecords; i++ {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			if _, ok := rec.(*Sample); ok {
				break
			}
		}
		if len(r.Attrs) == 0 {
			return nil, errors.New("pipe-mode perf.data has no event attribute record")
		}
	} else {
		m["data_bytes"] = strconv.FormatInt(r.end-r.off, 10)
	}
	describeAttrs(r.Attrs, m)
	f := &r.Features
	for k, v := range map[string]string{
		"hostname": f.Hostname, "os_release": f.OSRelease, "arch": f.Arch,
		"perf_version": f.Version, "cmdline": strings.Join(f.Cmdline, " "),
	} {
		if v != "" {
			m[k] = v
		}
	}
	if f.NrCPUsOnline > 0 {
		m["nr_cpus"] = strconv.FormatUint(uint64(f.NrCPUsOnline), 10)
	}
	if ids := buildIDList(f.BuildIDs); ids != "" {
		m["build_ids"] = ids
	}
	return m, nil
}

// describeAttrs adds the event-derived attributes.
func describeAttrs(attrs []*EventAttr, m map[string]string) {
	var names []string
	for _, a := range attrs {
		names = append(names, a.Name)
	}
	m["events"] = strings.Join(names, ",")
	a := attrs[0]
	m["sample_type"] = sampleTypeString(a.SampleType)
	switch {
	case a.SampleType&SampleCallchain == 0:
		m["call_graph"] = "none"
	case a.SampleType&SampleStackUser != 0 && a.SampleType&SampleRegsUser != 0:
		m["call_graph"] = "dwarf"
	default:
		m["call_graph"] = "fp"
	}
	if a.Freq() {
		m["sample_freq"] = strconv.FormatUint(a.SamplePeriod, 10)
	} else {
		m["sample_period"] = strconv.FormatUint(a.SamplePeriod, 10)
	}
}

// buildIDList renders build IDs as sorted "id:path" pairs.
func buildIDList(ids []BuildID) string {
	var out []string
	seen := map[string]bool{}
	for _, b := range ids {
		s := b.ID + ":" + b.Path
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}
