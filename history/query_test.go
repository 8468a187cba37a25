package history

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSearch(t *testing.T) {
	es := []Entry{
		{ID: "1", Path: "/home/u/Report 2024.PDF", Bucket: "docs", Key: "q1/report.pdf", State: StateDone},
		{ID: "2", Path: "/home/u/照片/猫.jpg", Bucket: "photos", Key: "pets/cat.jpg", State: StateFailed},
		{ID: "3", Path: "/data/report/x.bin", Bucket: "backup", Key: "x.bin", State: StateDone},
	}
	x := NewIndex(es)
	ids := func(q Query, limit int) string {
		var s string
		for _, i := range x.Search(q, limit, nil) {
			s += x.Entry(i).ID
		}
		return s
	}
	for _, c := range []struct {
		q     Query
		limit int
		want  string
	}{
		{Query{}, 0, "321"},                 // newest first
		{Query{}, 2, "32"},                  // limit keeps the newest
		{Query{Text: "REPORT"}, 0, "1"},     // name or key, any case; not the folder
		{Query{Text: "猫"}, 0, "2"},          // any script
		{Query{Text: "photos cat"}, 0, "2"}, // every word, across fields
		{Query{Text: "backup"}, 0, "3"},     // bucket
		{Query{State: StateFailed}, 0, "2"}, // state filter
		{Query{Text: "x", State: "done"}, 0, "3"},
		{Query{Text: "nothing"}, 0, ""},
	} {
		if got := ids(c.q, c.limit); got != c.want {
			t.Errorf("%+v limit %d: got %q, want %q", c.q, c.limit, got, c.want)
		}
	}
}

func manyEntries(n int) []Entry {
	es := make([]Entry, n)
	for i := range es {
		es[i] = Entry{ID: fmt.Sprint(i), Path: fmt.Sprintf("/home/user/projects/dataset-%05d/part-%d.parquet", i/100, i),
			Bucket: "analytics-prod", Key: fmt.Sprintf("raw/2026/11/%05d/part-%d.parquet", i/100, i), State: States[i%4],
			When: time.Unix(int64(i), 0)}
	}
	return es
}

// BenchmarkSearch10k is one keystroke in a 10,000-entry history.
func BenchmarkSearch10k(b *testing.B) {
	x := NewIndex(manyEntries(10000))
	var dst []int
	for b.Loop() {
		dst = x.Search(Query{Text: "part-99"}, 0, dst)
	}
}

func TestWriteCSV(t *testing.T) {
	e := Entry{Path: "/a/b,\"c\".txt", Bucket: "bk", Key: "k/文件", Size: 5, CRC64: 1<<64 - 1, State: StateDone,
		When: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Duration: 1500 * time.Millisecond,
		Links: []Link{{URL: "https://bk.example.com/k", Presigned: true, Expires: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)}}}
	var b strings.Builder
	if err := WriteCSV(&b, []Entry{e}); err != nil {
		t.Fatal(err)
	}
	want := "when,state,path,profile,bucket,key,size,crc64,duration_s,retries,error,error_code,request_id,last_link,last_link_expires\n" +
		"2026-01-02T03:04:05Z,done,\"/a/b,\"\"c\"\".txt\",,bk,k/文件,5,18446744073709551615,1.500,0,,,,https://bk.example.com/k,2026-01-03T00:00:00Z\n"
	if b.String() != want {
		t.Fatalf("csv:\n%s\nwant:\n%s", b.String(), want)
	}
}
