package cli

import (
	"strconv"
	"testing"

	"github.com/dustin/go-humanize"

	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// Option defaults and limits come from one place, the engine's: a new
// profile, the command line's flags and the engine agree on every default,
// and Settings accepts exactly what the engine runs.
func TestOptionDefaultsAndLimitsAgree(t *testing.T) {
	eng := transfer.DefaultOptions()
	prof := settings.LocalProfile().Options()
	if prof.PartSize != eng.PartSize || prof.TaskNum != eng.TaskNum || prof.Jobs != eng.Jobs ||
		prof.EnableCheckpoint != eng.EnableCheckpoint {
		t.Fatalf("a new profile's options %+v differ from the engine's defaults %+v", prof, eng)
	}
	// The one deliberate difference: a profile asks when an object exists (the
	// window's default), and a command, which has no one to ask, falls back to
	// the engine's default.
	if prof.OnExists != transfer.Ask {
		t.Fatalf("a new profile's on-exists is %v, want ask", prof.OnExists)
	}
	for _, name := range []string{"upload", "resume"} {
		f := newUploadFlags(name, &Env{Getenv: func(string) string { return "" }})
		flags := map[string]string{
			"task-num": strconv.Itoa(eng.TaskNum), "jobs": strconv.Itoa(eng.Jobs),
			"on-exists": eng.OnExists.String(),
		}
		for fl, want := range flags {
			if got := f.fs.Lookup(fl).DefValue; got != want {
				t.Errorf("%s --%s defaults to %s, the engine to %s", name, fl, got, want)
			}
		}
		ps, err := humanize.ParseBytes(f.fs.Lookup("part-size").DefValue)
		if err != nil || int64(ps) != eng.PartSize {
			t.Errorf("%s --part-size defaults to %s, the engine to %d", name, f.fs.Lookup("part-size").DefValue, eng.PartSize)
		}
	}
	// Every limit: the last value Settings accepts is one the engine runs, and
	// one past it is refused by both.
	cases := []struct {
		field  string
		set    func(*settings.TransferDefaults, int64)
		lo, hi int64
	}{
		{"parts in parallel", func(d *settings.TransferDefaults, v int64) { d.TaskNum = int(v) }, 1, transfer.MaxTaskNum},
		{"files in parallel", func(d *settings.TransferDefaults, v int64) { d.Jobs = int(v) }, 1, transfer.MaxJobs},
		{"part size", func(d *settings.TransferDefaults, v int64) { d.PartSize = v }, transfer.MinPartSize, transfer.MaxPartSize},
	}
	for _, c := range cases {
		below := c.lo - 1
		if below == 0 {
			below = -1 // zero asks the engine for its default
		}
		for _, tc := range []struct {
			v  int64
			ok bool
		}{{c.lo, true}, {c.hi, true}, {below, false}, {c.hi + 1, false}} {
			p := settings.LocalProfile()
			c.set(&p.Transfer, tc.v)
			settingsOK := p.Validate() == nil
			_, engErr := transfer.NewManager(transfer.Config{Options: p.Options(), StateDir: t.TempDir()})
			engineOK := engErr == nil
			if settingsOK != tc.ok || engineOK != tc.ok {
				t.Errorf("%s = %d: settings accepts %v, engine accepts %v (%v), want %v", c.field, tc.v, settingsOK, engineOK, engErr, tc.ok)
			}
		}
	}
}
