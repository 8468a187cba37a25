package ossemutest_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/ossemu/ossemutest"
)

func TestRoundTrip(t *testing.T) {
	for _, v := range []struct {
		name string
		opts []oss.ClientOption
	}{
		{"V1", nil},
		{"V4", []oss.ClientOption{oss.AuthVersion(oss.AuthV4), oss.Region("cn-hangzhou")}},
	} {
		t.Run(v.name, func(t *testing.T) {
			s := ossemutest.NewServer(t, ossemutest.WithBuckets("alpha", "beta"))
			if s.Bucket() != "alpha" {
				t.Fatalf("Bucket() = %q, want alpha", s.Bucket())
			}
			b := ossemutest.Bucket(t, s, v.opts...)
			if err := b.PutObject("k", strings.NewReader("hello")); err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			rc, err := b.GetObject("k")
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if string(got) != "hello" {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func TestWrongKeysRejected(t *testing.T) {
	s := ossemutest.NewServer(t, ossemutest.WithCredentials("LTAIfixedid", "fixedsecret"))
	if c := ossemutest.Credentials(s); c.AccessKeyID != "LTAIfixedid" || c.GetCredentials().GetAccessKeySecret() != "fixedsecret" {
		t.Fatalf("Credentials = %+v", c)
	}
	c, err := oss.New(s.URL, "", "", oss.SetCredentialsProvider(ossemutest.StaticCredentials{AccessKeyID: "LTAIfixedid", AccessKeySecret: "wrong"}))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Bucket(s.Bucket())
	err = b.PutObject("k", strings.NewReader("x"))
	var se oss.ServiceError
	if !errors.As(err, &se) || se.Code != "SignatureDoesNotMatch" {
		t.Fatalf("want SignatureDoesNotMatch, got %v", err)
	}
}

func TestDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s1 := ossemutest.NewServer(t, ossemutest.WithDir(dir))
	if err := ossemutest.Bucket(t, s1).PutObject("kept", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := ossemutest.NewServer(t, ossemutest.WithDir(dir))
	if ok, err := ossemutest.Bucket(t, s2).IsObjectExist("kept"); err != nil || !ok {
		t.Fatalf("after restart: exist=%v err=%v", ok, err)
	}
}
