package bundle

// Trailer is the last member of an archive: the SHA-256 of every member
// before it, in order. A tar or zstd stream cut between members still ends
// cleanly; only a trailer whose list matches the members proves the archive
// whole.
type Trailer struct {
	FormatVersion  int             `json:"format_version"`
	ManifestSHA256 string          `json:"manifest_sha256"`
	Members        []TrailerMember `json:"members"`
}

// TrailerMember is one member's name, size and hash.
type TrailerMember struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}
