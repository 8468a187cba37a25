package ui

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2/lang"
	"github.com/dustin/go-humanize"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"github.com/ossdrop/ossdrop/transfer"
)

// Every number, size, speed, duration and date the window shows is written
// here, in the conventions of the language the window speaks: digits grouped
// by golang.org/x/text for that language, unit words and date order from the
// translation files.

// numberFormat is how the window's language writes numbers.
type numberFormat struct {
	tag  language.Tag
	p    *message.Printer
	mark string // the decimal mark
}

var numberFormats sync.Map // the translation's language tag → *numberFormat

// numbers is the number format of the language the window speaks, as its
// translation file names it; looked up once per language.
func numbers() *numberFormat {
	name := lang.L("BCP 47 language tag of this translation")
	if f, ok := numberFormats.Load(name); ok {
		return f.(*numberFormat)
	}
	tag, err := language.Parse(name)
	if err != nil {
		tag = language.English
	}
	f := &numberFormat{tag: tag, p: message.NewPrinter(tag), mark: "."}
	if s := f.p.Sprint(number.Decimal(1.5, number.Scale(1))); len(s) == 3 {
		f.mark = s[1:2]
	}
	v, _ := numberFormats.LoadOrStore(name, f)
	return v.(*numberFormat)
}

// uiTag is the language the window speaks.
func uiTag() language.Tag { return numbers().tag }

// formatInt writes a count with the language's digit grouping ("12,345").
func formatInt(n int64) string {
	return numbers().p.Sprint(number.Decimal(n))
}

// count is formatInt for counts, as the translations' {{.Count}} takes them.
func count(n int) string { return formatInt(int64(n)) }

// size renders a byte count the way file managers do ("4.2 MB"), with the
// language's decimal mark; a size not read yet (negative) renders empty, and
// join leaves it out.
func size(n int64) string {
	if n < 0 {
		return ""
	}
	s := humanize.Bytes(uint64(n))
	if m := numbers().mark; m != "." {
		s = strings.Replace(s, ".", m, 1)
	}
	return s
}

// rate renders bytes per second; zero or unknown speeds render empty so a row
// never shows a misleading "0 B/s" between samples.
func rate(bps float64) string {
	if bps < 1 {
		return ""
	}
	return lang.L("{{.Size}}/s", map[string]any{"Size": size(int64(bps))})
}

// eta renders a remaining duration compactly: "8s", "2m 05s", "1h 02m".
func eta(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	d = d.Round(time.Second)
	if d < time.Second {
		d = time.Second
	}
	h := int(d / time.Hour)
	m := int(d % time.Hour / time.Minute)
	s := int(d % time.Minute / time.Second)
	two := func(n int) string { return fmt.Sprintf("%02d", n) }
	switch {
	case h > 99:
		return lang.L("{{.Days}}d {{.Hours}}h", map[string]any{"Days": count(h / 24), "Hours": two(h % 24)})
	case h > 0:
		return lang.L("{{.Hours}}h {{.Minutes}}m", map[string]any{"Hours": h, "Minutes": two(m)})
	case m > 0:
		return lang.L("{{.Minutes}}m {{.Seconds}}s", map[string]any{"Minutes": m, "Seconds": two(s)})
	default:
		return lang.L("{{.Seconds}}s", map[string]any{"Seconds": s})
	}
}

// elapsed renders how long a finished upload took; empty when unknown.
func elapsed(t transfer.TaskSnapshot, asked time.Duration) string {
	if t.StartedAt.IsZero() || t.EndedAt.IsZero() || !t.EndedAt.After(t.StartedAt) {
		return ""
	}
	return took(t.EndedAt.Sub(t.StartedAt) - asked)
}

// took renders a finished operation's duration: milliseconds under a second.
func took(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	if d < time.Second {
		return lang.L("{{.Milliseconds}} ms", map[string]any{"Milliseconds": d.Milliseconds()})
	}
	return eta(d)
}

// roughDuration renders how long until something happens, to the minute
// past the first minute: "45 s", "4 min", "2 h 5 min".
func roughDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return lang.L("{{.Seconds}} s", map[string]any{"Seconds": max(int(d.Seconds()), 0)})
	case d < time.Hour:
		return lang.L("{{.Minutes}} min", map[string]any{"Minutes": int(d.Round(time.Minute).Minutes())})
	}
	d = d.Round(time.Minute)
	return lang.L("{{.Hours}} h {{.Minutes}} min", map[string]any{"Hours": count(int(d.Hours())), "Minutes": int(d.Minutes()) % 60})
}

// dateTime renders a moment to the minute in the language's order
// ("2026-11-30 14:05", "2026年11月30日 14:05") in zone.
func dateTime(t time.Time, zone *time.Location) string {
	return t.In(zone).Format(lang.L("2006-01-02 15:04"))
}

// join puts the non-empty parts together with a middle dot.
func join(parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " · ")
}

// progressText is "1.2 MB of 4.0 MB" by bytes acknowledged on the wire
// (Sent), or just the size when nothing is sent.
func progressText(t transfer.TaskSnapshot) string {
	sent := max(t.Sent, t.Done)
	if sent <= 0 {
		return size(t.Size)
	}
	return lang.L("{{.Sent}} of {{.Size}}", map[string]any{"Sent": size(sent), "Size": size(t.Size)})
}

// percent is "41%", rounded down so 100% means finished.
func percent(f float64) string {
	return fmt.Sprintf("%d%%", int(f*100))
}

// reason is the plain-language explanation of a task's error in the window's
// language (taskSummary). The engine's exact text (file, OSS code, HTTP
// status, RequestId) is in the details dialog, one click away.
func reason(t transfer.TaskSnapshot) string {
	return taskSummary(t)
}

// statusText is the second line of a row: what the task is doing, or why it
// stopped, with the figures that matter in that state. st carries the speed,
// ETA and stall the window measured.
func statusText(t transfer.TaskSnapshot, st liveStats) string {
	var s string
	switch t.State {
	case transfer.Queued:
		s = join(lang.L("Queued"), size(t.Size), resumedText(t))
	case transfer.Uploading:
		left := ""
		switch {
		case st.Asking:
			left = lang.L("waiting for your answer")
		case st.Stalled:
			left = lang.L("stalled — nothing sent for a while")
		case st.ETA > 0:
			left = lang.L("{{.Time}} left", map[string]any{"Time": eta(st.ETA)})
		}
		var speed string
		if !st.Stalled && !st.Asking {
			speed = rate(st.Speed)
		}
		s = join(percent(fraction(t)), progressText(t), speed, left)
	case transfer.Retrying:
		why := orUnknown(reason(t))
		head := lang.L("Retrying — {{.Reason}}", map[string]any{"Reason": why})
		if st.RetryIn > 0 {
			secs := int((st.RetryIn + time.Second - 1) / time.Second)
			head = lang.L("Retrying in {{.Seconds}} s — {{.Reason}}", map[string]any{"Seconds": secs, "Reason": why})
		}
		s = join(head, progressText(t))
	case transfer.Completing:
		s = join(lang.L("Completing upload"), size(t.Size))
	case transfer.Verifying:
		s = join(lang.L("Verifying CRC-64"), size(t.Size))
	case transfer.Done:
		took := elapsed(t, st.AskWait)
		if took != "" {
			took = lang.L("in {{.Time}}", map[string]any{"Time": took})
		}
		s = join(lang.L("Done"), size(t.Size), took, resumedText(t))
	case transfer.Failed:
		s = lang.L("Failed: {{.Reason}}", map[string]any{"Reason": orUnknown(reason(t))})
	case transfer.Paused:
		s = join(lang.L("Paused"), progressText(t), pauseReason(t))
	case transfer.Canceled:
		s = lang.L("Canceled")
	case transfer.Skipped:
		s = lang.L("Skipped")
		if t.Note == "" {
			s = lang.L("Skipped: the object already exists")
		}
	default:
		s = t.State.String()
	}
	if t.Note != "" {
		s = join(s, noteText(t))
	}
	return s
}

// pauseReason explains a pause the user did not ask for (expired
// credentials: OSS answered with a code). A user's own pause cancels requests
// in flight, and the resulting local error is no reason to show.
func pauseReason(t transfer.TaskSnapshot) string {
	if t.Err == nil || t.Err.Code == "" {
		return ""
	}
	return reason(t)
}

func resumedText(t transfer.TaskSnapshot) string {
	if t.Resumed {
		return lang.L("resumed")
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return lang.L("unknown error")
	}
	return s
}

// fraction is how far a task has come by bytes acknowledged on the wire,
// 0..1; done and skipped tasks are full even when the file was empty. A
// failed task shows what it had sent, never full.
func fraction(t transfer.TaskSnapshot) float64 {
	if t.State == transfer.Done || t.State == transfer.Skipped {
		return 1
	}
	if t.Size <= 0 {
		return 0
	}
	f := float64(max(t.Sent, t.Done)) / float64(t.Size)
	return min(max(f, 0), 1)
}

// displayName is the file's base name, falling back to the key's last part.
func displayName(t transfer.TaskSnapshot) string {
	if t.Path != "" {
		return filepath.Base(t.Path)
	}
	return path.Base(t.Key)
}

// destination is "bucket/key", what users see as the object's address.
func destination(bucket, key string) string {
	if bucket == "" {
		return key
	}
	return bucket + "/" + key
}

// batchText summarises the current batch for the overall bar:
// "3 of 13 files · 42% · 1.2 GB of 2.9 GB · 12 MB/s · 2m 05s left · 1 failed".
func batchText(b batchTotals) string {
	if b.Files == 0 {
		return lang.L("No uploads yet")
	}
	files := lang.N("{{.Done}} of {{.Count}} files", b.Files, map[string]any{"Done": count(b.Finished), "Count": count(b.Files)})
	bytes := lang.L("{{.Sent}} of {{.Size}}", map[string]any{"Sent": size(b.Sent), "Size": size(b.Bytes)})
	var speed, left string
	if b.Running {
		switch {
		case b.Stats.Stalled:
			left = lang.L("stalled")
		case b.Stats.Asking:
			// Other files may still be moving: their speed stays.
			speed = rate(b.Stats.Speed)
			left = lang.L("waiting for your answer")
		default:
			speed = rate(b.Stats.Speed)
			if b.Stats.ETA > 0 {
				left = lang.L("{{.Time}} left", map[string]any{"Time": eta(b.Stats.ETA)})
			}
		}
	}
	var failed, paused string
	if b.Failed > 0 {
		failed = lang.N("{{.Count}} failed", b.Failed, map[string]any{"Count": count(b.Failed)})
	}
	if b.Paused > 0 {
		paused = lang.N("{{.Count}} paused", b.Paused, map[string]any{"Count": count(b.Paused)})
	}
	var sizing string
	if b.Sizing > 0 {
		// The bytes and the time left cover the sized files only.
		sizing = lang.N("reading the size of {{.Count}} files", b.Sizing, map[string]any{"Count": count(b.Sizing)})
		left = ""
	}
	return join(files, percent(b.Fraction()), bytes, sizing, speed, left, failed, paused)
}
