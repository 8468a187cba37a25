package settings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/dustin/go-humanize"
)

// migrations[v] turns a version-v file into a version-(v+1) file.
var migrations = map[int]func([]byte) ([]byte, error){
	1: migrate1to2,
}

// v1File is the first settings format: profiles in a map keyed by name (so
// their order was lost), sizes as human strings, one "parallel" knob, and a
// yes/no resume switch.
type v1File struct {
	Version        int                  `json:"version"`
	Default        string               `json:"default"`
	ResumeOnLaunch *bool                `json:"resume_on_launch"`
	Notify         *bool                `json:"notify"`
	Proxy          string               `json:"proxy"`
	Profiles       map[string]v1Profile `json:"profiles"`
}

type v1Profile struct {
	Endpoint    string `json:"endpoint"`
	Bucket      string `json:"bucket"`
	Prefix      string `json:"prefix"`
	SignV4      bool   `json:"sign_v4"`
	Region      string `json:"region"`
	AccessKeyID string `json:"access_key_id"`
	ACL         string `json:"acl"`
	PartSize    string `json:"part_size"` // "8MiB"
	Parallel    int    `json:"parallel"`  // parts in parallel per file
	Checkpoint  *bool  `json:"checkpoint"`
	SkipExist   bool   `json:"skip_existing"`
}

// migrate1to2 keeps every profile (sorted by name, as v1 had no order), maps
// parallel to TaskNum, parses part sizes, turns the resume switch into a
// policy, and adds the built-in Local bucket, which v1 did not have.
func migrate1to2(data []byte) ([]byte, error) {
	var old v1File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&old); err != nil {
		return nil, err
	}
	cfg := Config{Version: 2, DefaultProfile: old.Default}
	cfg.App = App{ResumeOnLaunch: ResumeAsk, Notifications: true, Proxy: old.Proxy}
	if old.ResumeOnLaunch != nil {
		cfg.App.ResumeOnLaunch = ResumeNever
		if *old.ResumeOnLaunch {
			cfg.App.ResumeOnLaunch = ResumeAlways
		}
	}
	if old.Notify != nil {
		cfg.App.Notifications = *old.Notify
	}
	names := make([]string, 0, len(old.Profiles))
	for n := range old.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	cfg.Profiles = append(cfg.Profiles, LocalProfile())
	for _, n := range names {
		op := old.Profiles[n]
		if n == LocalProfileName {
			return nil, fmt.Errorf("profile %q: the name is now reserved for the built-in local bucket; rename it in the file", n)
		}
		p := Profile{
			Name: n, Endpoint: op.Endpoint, Bucket: op.Bucket, Prefix: op.Prefix,
			SignatureV4: op.SignV4, Region: op.Region, AccessKeyID: op.AccessKeyID, ACL: op.ACL,
			Transfer: DefaultTransfer(),
		}
		if op.PartSize != "" {
			size, err := humanize.ParseBytes(op.PartSize)
			if err != nil {
				return nil, fmt.Errorf("profile %q: part_size %q: %w", n, op.PartSize, err)
			}
			p.Transfer.PartSize = int64(size)
		}
		if op.Parallel != 0 {
			p.Transfer.TaskNum = op.Parallel
		}
		if op.Checkpoint != nil {
			p.Transfer.Checkpoint = *op.Checkpoint
		}
		if op.SkipExist {
			p.Transfer.OnExists = "skip"
		}
		cfg.Profiles = append(cfg.Profiles, p)
	}
	if cfg.DefaultProfile == "" {
		cfg.DefaultProfile = LocalProfileName
		if len(names) > 0 {
			cfg.DefaultProfile = names[0]
		}
	}
	// Config is still the version 2 shape; a version 3 must freeze a copy
	// of it here so this migration keeps producing version 2.
	return json.Marshal(cfg)
}
