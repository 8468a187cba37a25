package history

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"
)

// CSVHeader names the columns WriteCSV writes; the names match the JSON fields.
var CSVHeader = []string{"when", "state", "path", "profile", "bucket", "key", "size", "crc64", "duration_s", "retries", "error", "error_code", "request_id", "last_link", "last_link_expires"}

// WriteCSV writes entries as CSV (RFC 4180) with a header row, for spreadsheets.
func WriteCSV(w io.Writer, entries []Entry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, e := range entries {
		crc := ""
		if e.CRC64 != 0 {
			crc = strconv.FormatUint(e.CRC64, 10)
		}
		link, expires := "", ""
		if n := len(e.Links); n > 0 {
			link = e.Links[n-1].URL
			if !e.Links[n-1].Expires.IsZero() {
				expires = e.Links[n-1].Expires.Format(time.RFC3339)
			}
		}
		if err := cw.Write([]string{e.When.Format(time.RFC3339), e.State, e.Path, e.Profile, e.Bucket, e.Key,
			strconv.FormatInt(e.Size, 10), crc, strconv.FormatFloat(e.Duration.Seconds(), 'f', 3, 64), strconv.Itoa(e.Retries),
			e.Error, e.ErrorCode, e.RequestID, link, expires}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
