package ossemu

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// awkward keys: every one must come back byte-identical through encoding-type=url
var listKeysFixture = []string{
	"a.txt", "a+b.txt", "a b.txt", "a%20b.txt", "dir/x", "dir/y", "dir/sub/z", "dir2/q",
	"ünï/cödé.txt", "日本/語.txt", "q?x=1&y=2#frag", "semi;colon", "tab\tkey", "new\nline", "pct%2F", "z",
}

func TestBucketOps(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := newServer(t, Options{Buckets: []string{"first", "second", "third"}})
			c := client(t, s, v.opts...)
			lb, err := c.ListBuckets()
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, b := range lb.Buckets {
				names = append(names, b.Name)
				if b.CreationDate.IsZero() || b.Location == "" {
					t.Errorf("bucket %+v", b)
				}
			}
			if fmt.Sprint(names) != "[first second third]" {
				t.Errorf("buckets %v", names)
			}
			lb, err = c.ListBuckets(oss.MaxKeys(2))
			if err != nil || len(lb.Buckets) != 2 || !lb.IsTruncated || lb.NextMarker != "second" {
				t.Errorf("paged ListBuckets %+v %v", lb, err)
			}
			lb, err = c.ListBuckets(oss.Marker("second"))
			if err != nil || len(lb.Buckets) != 1 || lb.Buckets[0].Name != "third" {
				t.Errorf("ListBuckets after marker: %+v %v", lb, err)
			}
			info, err := c.GetBucketInfo("second")
			if err != nil {
				t.Fatal(err)
			}
			if info.BucketInfo.Name != "second" || info.BucketInfo.CreationDate.IsZero() || info.BucketInfo.ACL != "private" ||
				info.BucketInfo.StorageClass != "Standard" || info.BucketInfo.Owner.ID == "" {
				t.Errorf("bucket info %+v", info.BucketInfo)
			}
		})
	}
}

func TestListObjects(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := newServer(t, Options{})
			b := bucketOf(t, s, v.opts...)
			for _, k := range listKeysFixture {
				if err := b.PutObject(k, strings.NewReader(k)); err != nil {
					t.Fatalf("put %q: %v", k, err)
				}
			}
			want := append([]string(nil), listKeysFixture...)
			sort.Strings(want)

			// v1, one key per page
			var got []string
			marker := ""
			for pages := 0; ; pages++ {
				r, err := b.ListObjects(oss.Marker(marker), oss.MaxKeys(3))
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range r.Objects {
					got = append(got, o.Key)
					if o.Size != int64(len(o.Key)) || o.ETag == "" || o.LastModified.IsZero() || o.StorageClass != "Standard" || o.Type != "Normal" {
						t.Errorf("object %+v", o)
					}
				}
				if !r.IsTruncated {
					break
				}
				marker = r.NextMarker
				if pages > 100 {
					t.Fatal("no end to paging")
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("v1 listing\n got %q\nwant %q", got, want)
			}

			// v2 with continuation tokens
			got = nil
			token := ""
			for {
				opts := []oss.Option{oss.MaxKeys(4)}
				if token != "" {
					opts = append(opts, oss.ContinuationToken(token))
				}
				r, err := b.ListObjectsV2(opts...)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range r.Objects {
					got = append(got, o.Key)
				}
				if !r.IsTruncated {
					break
				}
				token = r.NextContinuationToken
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("v2 listing\n got %q\nwant %q", got, want)
			}
			r2, err := b.ListObjectsV2(oss.StartAfter("dir2/q"), oss.MaxKeys(1000))
			if err != nil || len(r2.Objects) == 0 || r2.Objects[0].Key != "new\nline" {
				t.Errorf("start-after: %+v %v", r2.Objects, err)
			}

			// prefix and delimiter
			r, err := b.ListObjects(oss.Prefix("dir/"), oss.Delimiter("/"))
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, o := range r.Objects {
				keys = append(keys, o.Key)
			}
			if fmt.Sprint(keys) != "[dir/x dir/y]" || fmt.Sprint(r.CommonPrefixes) != "[dir/sub/]" || r.Prefix != "dir/" || r.Delimiter != "/" {
				t.Errorf("prefix dir/: objects %q prefixes %q (%+v)", keys, r.CommonPrefixes, r)
			}
			// top level, paged one entry at a time: common prefixes are not repeated
			var entries []string
			marker = ""
			for {
				r, err := b.ListObjects(oss.Delimiter("/"), oss.MaxKeys(1), oss.Marker(marker))
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range r.Objects {
					entries = append(entries, o.Key)
				}
				entries = append(entries, r.CommonPrefixes...)
				if !r.IsTruncated {
					break
				}
				marker = r.NextMarker
			}
			wantTop := []string{"a b.txt", "a%20b.txt", "a+b.txt", "a.txt", "dir/", "dir2/", "new\nline", "pct%2F", "q?x=1&y=2#frag", "semi;colon", "tab\tkey", "z", "ünï/", "日本/"}
			if !reflect.DeepEqual(entries, wantTop) {
				t.Errorf("top level paged\n got %q\nwant %q", entries, wantTop)
			}
			// same through v2
			entries = nil
			token = ""
			for {
				opts := []oss.Option{oss.Delimiter("/"), oss.MaxKeys(2)}
				if token != "" {
					opts = append(opts, oss.ContinuationToken(token))
				}
				r, err := b.ListObjectsV2(opts...)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range r.Objects {
					entries = append(entries, o.Key)
				}
				entries = append(entries, r.CommonPrefixes...)
				if !r.IsTruncated {
					break
				}
				token = r.NextContinuationToken
			}
			sort.Strings(entries)
			if !reflect.DeepEqual(entries, wantTop) {
				t.Errorf("v2 top level paged\n got %q\nwant %q", entries, wantTop)
			}

			_, err = b.ListObjects(oss.MaxKeys(1001))
			wantCode(t, err, 400, "InvalidArgument")
			_, err = b.ListObjectsV2(oss.ContinuationToken("!!not a token!!"))
			wantCode(t, err, 400, "InvalidArgument")
		})
	}
}

func TestListMultipartUploadsPaged(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := newServer(t, Options{})
			b := bucketOf(t, s, v.opts...)
			want := map[string]bool{}
			for _, k := range []string{"a", "a", "b+c", "dir/1", "dir/2", "ü x"} {
				imur, err := b.InitiateMultipartUpload(k)
				if err != nil {
					t.Fatal(err)
				}
				want[k+"|"+imur.UploadID] = true
			}
			got := map[string]bool{}
			km, um := "", ""
			for {
				r, err := b.ListMultipartUploads(oss.MaxUploads(2), oss.KeyMarker(km), oss.UploadIDMarker(um))
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range r.Uploads {
					if got[u.Key+"|"+u.UploadID] {
						t.Fatalf("listed twice: %s", u.Key)
					}
					got[u.Key+"|"+u.UploadID] = true
					if u.Initiated.IsZero() {
						t.Error("no initiation time")
					}
				}
				if !r.IsTruncated {
					break
				}
				km, um = r.NextKeyMarker, r.NextUploadIDMarker
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("uploads\n got %v\nwant %v", got, want)
			}
			r, err := b.ListMultipartUploads(oss.Delimiter("/"))
			if err != nil || fmt.Sprint(r.CommonPrefixes) != "[dir/]" || len(r.Uploads) != 4 {
				t.Errorf("with delimiter: %+v %v", r, err)
			}
			r, err = b.ListMultipartUploads(oss.Prefix("dir/"))
			if err != nil || len(r.Uploads) != 2 {
				t.Errorf("with prefix: %+v %v", r, err)
			}
			if len(s.Uploads("")) != 6 {
				t.Errorf("Uploads() = %d", len(s.Uploads("")))
			}
		})
	}
}
