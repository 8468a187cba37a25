package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/dustin/go-humanize"

	"github.com/ossdrop/ossdrop/history"
)

func init() {
	Register(Command{Name: "history", Summary: "list finished uploads (done, failed, canceled, skipped), newest last", Run: runHistory})
}

func runHistory(_ context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	asJSON := fs.Bool("json", false, "print JSON lines, one entry per line (same as --format jsonl)")
	format := fs.String("format", "table", "output: table, jsonl (one JSON object per line) or json (one array)")
	limit := fs.Int("limit", 0, "show only the newest N matching entries (0 = all)")
	state := fs.String("state", "", "only entries in this state: "+strings.Join(history.States, ", "))
	search := fs.String("search", "", "only entries whose file name, key or bucket contain every word of this text")
	stateDir := fs.String("state-dir", "", "state directory (default $OSSDROP_STATE_DIR, else $XDG_STATE_HOME/ossdrop)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: ossdrop history [--json | --format table|jsonl|json] [--limit N] [--state S] [--search TEXT]\n\nLists finished uploads recorded in the state directory, oldest first. JSON fields: id, path,\nprofile, bucket, key, size, crc64 (decimal string), state, when (RFC 3339), duration (ns),\nretries, error (exact English text), error_code, error_kind (a stable name of the failure),\nerror_status, request_id, links (url without query, presigned, issued, expires).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *asJSON {
		*format = "jsonl"
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(env.Stderr, "ossdrop history: unexpected argument %q\n", fs.Arg(0))
		return 2
	case *format != "table" && *format != "jsonl" && *format != "json":
		fmt.Fprintf(env.Stderr, "ossdrop history: --format %q: want table, jsonl or json\n", *format)
		return 2
	case *limit < 0:
		fmt.Fprintf(env.Stderr, "ossdrop history: --limit %d: want 0 (all) or more\n", *limit)
		return 2
	case !history.ValidState(*state):
		fmt.Fprintf(env.Stderr, "ossdrop history: --state %q: want one of %s\n", *state, strings.Join(history.States, ", "))
		return 2
	}
	entries, err := history.Load(stateDirFor(*stateDir, env))
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop history: %v\n", err)
		return 1
	}
	x := history.NewIndex(entries)
	found := x.Search(history.Query{Text: *search, State: *state}, *limit, nil)
	sel := make([]history.Entry, len(found))
	for i, n := range found { // Search gives newest first; print oldest first
		sel[len(found)-1-i] = *x.Entry(n)
	}
	if err := writeHistory(env.Stdout, *format, sel); err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop history: %v\n", err)
		return 1
	}
	return 0
}

// writeHistory prints entries as a table for people or JSON for scripts.
func writeHistory(w io.Writer, format string, es []history.Entry) error {
	switch format {
	case "json":
		if es == nil {
			es = []history.Entry{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(es)
	case "jsonl":
		enc := json.NewEncoder(w)
		for _, e := range es {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tSTATE\tSIZE\tTOOK\tRETRIES\tPROFILE\tDESTINATION\tFILE\tERROR")
	for _, e := range es {
		why := e.Error
		if e.RequestID != "" && !strings.Contains(why, e.RequestID) {
			why += " (RequestId " + e.RequestID + ")"
		}
		profile := e.Profile
		if profile == "" {
			profile = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", e.When.Local().Format("2006-01-02 15:04:05"), e.State,
			sizeCell(e.Size), e.Duration.Round(100*time.Millisecond), e.Retries, cell(profile),
			cell("oss://"+e.Bucket+"/"+e.Key), cell(e.Path), cell(why))
	}
	return tw.Flush()
}

// sizeCell is a byte count for a table; a size never read (a file that
// ended before its size was read, recorded as -1) is "-".
func sizeCell(n int64) string {
	if n < 0 {
		return "-"
	}
	return humanize.IBytes(uint64(n))
}

// cell keeps a value on one table cell: names with tabs, newlines or other control
// characters are quoted, so a file is always named exactly.
func cell(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return strconv.Quote(s)
	}
	return s
}
