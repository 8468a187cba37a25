package settings

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

func TestEnvironmentOverride(t *testing.T) {
	store := NewMemorySecretStore("test")
	cfg := Defaults()
	if err := cfg.Put(validProfile()); err != nil {
		t.Fatal(err)
	}
	if _, err := SaveCredentials(&cfg, "work", store, Credentials{AccessKeyID: "LTAIstored", AccessKeySecret: "stored-secret"}); err != nil {
		t.Fatal(err)
	}
	p, _ := cfg.Profile("work")

	c, src, err := LoadCredentials(p, store, noEnv)
	if err != nil || src != SourceStored || c.AccessKeyID != "LTAIstored" || c.AccessKeySecret != "stored-secret" || c.SecurityToken != "" {
		t.Fatalf("stored: %v %s %v", c, src, err)
	}
	env := envOf(map[string]string{EnvAccessKeyID: "STS.env", EnvAccessKeySecret: "env-secret", EnvSessionToken: "env-token"})
	c, src, err = LoadCredentials(p, store, env)
	if err != nil || src != SourceEnvironment || c.AccessKeyID != "STS.env" || c.AccessKeySecret != "env-secret" || c.SecurityToken != "env-token" {
		t.Fatalf("env: %v %s %v", c, src, err)
	}
	for _, m := range []map[string]string{{EnvAccessKeyID: "x"}, {EnvAccessKeySecret: "x"}} {
		_, _, err := LoadCredentials(p, store, envOf(m))
		if err == nil || !strings.Contains(err.Error(), "set both or neither") {
			t.Fatalf("half-set environment %v: %v", m, err)
		}
	}
	// The environment also serves a profile whose secret was never stored.
	q := validProfile()
	q.Name = "fresh"
	if _, src, err := LoadCredentials(q, store, env); err != nil || src != SourceEnvironment {
		t.Fatalf("fresh profile with env: %s %v", src, err)
	}
	_, _, err = LoadCredentials(q, store, noEnv)
	var missing *MissingSecretError
	if !errors.As(err, &missing) || missing.Profile != "fresh" {
		t.Fatalf("fresh profile: %v", err)
	}
	q.AccessKeyID = ""
	if _, _, err := LoadCredentials(q, store, noEnv); err == nil || !strings.Contains(err.Error(), "AccessKey ID") {
		t.Fatalf("no key id: %v", err)
	}
	prov, err := NewProviderFor(p, store, env)
	if err != nil || prov.Source() != SourceEnvironment {
		t.Fatalf("NewProviderFor: %v %v", prov, err)
	}
	if tg := p.Target(prov, "http://proxy:1"); tg.Credentials != prov || tg.Proxy != "http://proxy:1" || tg.Dest != p.ID {
		t.Fatalf("Target: %+v", tg)
	}
}

// TestSTSRenewal drives the expiry flow the window uses: temporary
// credentials expire on the server, the provider reports it, new ones are
// saved, and the same provider (already inside the engine's client) works again.
func TestSTSRenewal(t *testing.T) {
	s := newEmu(t, ossemu.Options{})
	store := NewMemorySecretStore("test")
	cfg := Defaults()
	p := validProfile()
	p.Endpoint = s.URL
	p.Bucket = s.Bucket()
	if err := cfg.Put(p); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s.SetSecurityToken("token-1", now.Add(-time.Second)) // already expired on the server
	prov, err := SaveCredentials(&cfg, "work", store, Credentials{AccessKeyID: s.AccessKeyID, AccessKeySecret: s.AccessKeySecret,
		SecurityToken: "token-1", Expiry: now.Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	p, _ = cfg.Profile("work")
	if p.AccessKeyID != s.AccessKeyID || !p.STSExpiry.Equal(now.Add(-time.Second)) {
		t.Fatalf("profile not updated: %+v", p)
	}
	if st := prov.Status(now, 5*time.Minute); st.State != Expired || !strings.Contains(st.Message(), "expired") {
		t.Fatalf("status %+v %q", st, st.Message())
	}
	if st := p.ExpiryStatus(now, 5*time.Minute); st.State != Expired {
		t.Fatalf("profile status %+v", st)
	}
	tg := p.Target(prov, "")
	check(t, tg, 0, noEnv, ConnTokenExpired)

	// Renew: new token on the server, new credentials saved for the profile.
	exp := now.Add(3 * time.Minute)
	s.SetSecurityToken("token-2", exp)
	fresh, err := SaveCredentials(&cfg, "work", store, Credentials{AccessKeyID: s.AccessKeyID, AccessKeySecret: s.AccessKeySecret,
		SecurityToken: "token-2", Expiry: exp})
	if err != nil {
		t.Fatal(err)
	}
	if st := fresh.Status(now, 5*time.Minute); st.State != ExpiringSoon || !strings.Contains(st.Message(), "expire in 3m0s") {
		t.Fatalf("status %+v %q", st, st.Message())
	}
	if st := fresh.Status(now, time.Minute); st.State != Valid || st.Message() != "" {
		t.Fatalf("status %+v", st)
	}
	check(t, p.Target(fresh, ""), 0, noEnv, ConnOK)
	// A provider already handed out can be updated in place.
	prov.Set(fresh.Credentials(), SourceStored)
	check(t, tg, 0, noEnv, ConnOK)

	// Next launch: the stored token and recorded expiry come back.
	p, _ = cfg.Profile("work")
	c, _, err := LoadCredentials(p, store, nil)
	if err != nil || c.SecurityToken != "token-2" || !c.Expiry.Equal(exp) {
		t.Fatalf("reloaded %v %v", c, err)
	}
	// Back to a long-term key: the token is removed, nothing expires.
	if _, err := SaveCredentials(&cfg, "work", store, Credentials{AccessKeyID: "LTAIlong", AccessKeySecret: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(TokenKey("work")); !errors.Is(err, ErrSecretNotFound) {
		t.Fatalf("old token kept: %v", err)
	}
	p, _ = cfg.Profile("work")
	if st := p.ExpiryStatus(now, time.Hour); st.State != NoExpiry || !p.STSExpiry.IsZero() {
		t.Fatalf("long-term key status %+v", st)
	}
	// Refusals.
	if _, err := SaveCredentials(&cfg, "nope", store, Credentials{AccessKeyID: "a", AccessKeySecret: "b"}); err == nil {
		t.Fatal("saved credentials for a missing profile")
	}
	if _, err := SaveCredentials(&cfg, "work", store, Credentials{AccessKeyID: "a"}); err == nil {
		t.Fatal("saved credentials without a secret")
	}
	if _, err := SaveCredentials(&cfg, "work", store, Credentials{AccessKeyID: "a", AccessKeySecret: "b", Expiry: now}); err == nil {
		t.Fatal("saved an expiry without a token")
	}
}

func TestCredentialsNeverPrinted(t *testing.T) {
	c := Credentials{AccessKeyID: "LTAIid", AccessKeySecret: "very-secret-value", SecurityToken: "very-secret-token", Expiry: time.Unix(1e9, 0)}
	p := NewProvider(c, SourceStored)
	prof := validProfile()
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "c", c, "p", p)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "c", c)
	snap := p.GetCredentials()
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "snap", snap)
	fmt.Fprintf(&buf, "%v %+v %#v %s %v %+v %#v %v %+v %#v", c, c, c, c, p, p, p, snap, snap, snap)
	fmt.Fprintf(&buf, "%+v %#v", prof.Target(p, ""), OssutilConfig{Credentials: c})
	fmt.Fprint(&buf, (&MissingSecretError{Profile: "w"}).Error())
	out := buf.String()
	if strings.Contains(out, "very-secret") {
		t.Fatalf("secret printed: %s", out)
	}
	if !strings.Contains(out, "LTAIid") {
		t.Fatalf("key id missing: %s", out)
	}
}

func TestProxyFromEnvironment(t *testing.T) {
	req := func(raw string) *http.Request {
		u, _ := url.Parse(raw)
		return &http.Request{URL: u}
	}
	cases := []struct {
		env    map[string]string
		target string
		want   string
	}{
		{map[string]string{"HTTPS_PROXY": "http://p:3128"}, "https://oss-cn-hangzhou.aliyuncs.com", "http://p:3128"},
		{map[string]string{"https_proxy": "p:3128"}, "https://oss-cn-hangzhou.aliyuncs.com", "http://p:3128"},
		{map[string]string{"HTTPS_PROXY": "http://p:3128"}, "http://oss-cn-hangzhou.aliyuncs.com", ""},
		{map[string]string{"HTTP_PROXY": "http://p:80"}, "http://b.example.com", "http://p:80"},
		{map[string]string{"HTTPS_PROXY": "http://p:3128"}, "https://127.0.0.1:9000", ""},
		{map[string]string{"HTTPS_PROXY": "http://p:3128"}, "https://localhost:9000", ""},
		{map[string]string{"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "aliyuncs.com"}, "https://b.oss-cn-hangzhou.aliyuncs.com", ""},
		{map[string]string{"HTTPS_PROXY": "http://p:3128", "NO_PROXY": ".aliyuncs.com"}, "https://aliyuncs.com", ""},
		{map[string]string{"HTTPS_PROXY": "http://p:3128", "no_proxy": "*.aliyuncs.com"}, "https://b.aliyuncs.com", ""},
		{map[string]string{"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "cs.com"}, "https://b.aliyuncs.com", "http://p:3128"},
		{map[string]string{"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*"}, "https://b.aliyuncs.com", ""},
		{map[string]string{"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "10.0.0.0/8"}, "https://10.1.2.3", ""},
		{map[string]string{"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "10.0.0.0/8"}, "https://11.1.2.3", "http://p:3128"},
		{map[string]string{"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "b.example.com:8443"}, "https://b.example.com:8443", ""},
		{map[string]string{"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "b.example.com:8443"}, "https://b.example.com", "http://p:3128"},
	}
	for _, c := range cases {
		pf, err := ProxyFunc("", envOf(c.env))
		if err != nil {
			t.Fatal(err)
		}
		u, err := pf(req(c.target))
		got := ""
		if u != nil {
			got = u.String()
		}
		if err != nil || got != c.want {
			t.Errorf("env %v, %s: proxy %q (%v), want %q", c.env, c.target, got, err, c.want)
		}
	}
	pf, err := ProxyFunc("http://user:pw@explicit:8080", envOf(map[string]string{"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*"}))
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := pf(req("https://b.aliyuncs.com")); u == nil || u.Host != "explicit:8080" {
		t.Fatalf("explicit proxy: %v", u)
	}
	if _, err := ProxyFunc("ftp://user:hunter2@x", nil); err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "proxy") {
		t.Fatalf("bad explicit proxy: %v", err)
	}
}

func TestOssutilImport(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	full := write("full", `[Credentials]
language=EN
endpoint=oss-cn-shanghai.aliyuncs.com
accessKeyID=LTAIossutil
accessKeySecret=ossutil-secret
stsToken=ossutil-token
[Bucket-Endpoint]
photos=oss-cn-beijing.aliyuncs.com
logs=https://oss-cn-shanghai.aliyuncs.com
[Bucket-Cname]
photos=img.example.com
`)
	oc, err := ReadOssutilConfig(full)
	if err != nil {
		t.Fatal(err)
	}
	if oc.Endpoint != "oss-cn-shanghai.aliyuncs.com" || oc.Credentials.AccessKeyID != "LTAIossutil" ||
		oc.Credentials.AccessKeySecret != "ossutil-secret" || oc.Credentials.SecurityToken != "ossutil-token" || len(oc.BucketEndpoints) != 2 {
		t.Fatalf("%+v", oc)
	}
	ps, err := oc.Profiles("", "")
	if err != nil || len(ps) != 2 || ps[0].Name != "ossutil logs" || ps[1].Name != "ossutil photos" ||
		ps[1].Endpoint != "oss-cn-beijing.aliyuncs.com" || ps[1].AccessKeyID != "LTAIossutil" {
		t.Fatalf("profiles %+v %v", ps, err)
	}
	ps, err = oc.Profiles("mine", "other-bucket")
	if err != nil || len(ps) != 1 || ps[0].Name != "mine" || ps[0].Bucket != "other-bucket" || ps[0].Endpoint != oc.Endpoint {
		t.Fatalf("explicit bucket %+v %v", ps, err)
	}
	ps, err = oc.Profiles("", "photos")
	if err != nil || ps[0].Endpoint != "oss-cn-beijing.aliyuncs.com" || ps[0].Name != "ossutil" {
		t.Fatalf("known bucket %+v %v", ps, err)
	}
	if _, err := oc.Profiles("", "Bad_Bucket"); err == nil || !strings.Contains(err.Error(), "bucket") {
		t.Fatalf("bad bucket: %v", err)
	}
	if g := (ps[0].Target(nil, "")).Endpoint; g != "https://oss-cn-beijing.aliyuncs.com" {
		t.Fatalf("endpoint %s", g)
	}

	credsOnly := write("credsonly", "[Credentials]\nendpoint=https://oss-cn-hangzhou.aliyuncs.com\naccessKeyID=a\naccessKeySecret=b\n")
	oc, err = ReadOssutilConfig(credsOnly)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oc.Profiles("", ""); err == nil || !strings.Contains(err.Error(), "names no bucket") {
		t.Fatalf("no bucket: %v", err)
	}

	bad := map[string]string{
		write("nocreds", "[Other]\na=b\n"):                                      "no [Credentials] section",
		write("noid", "[Credentials]\nendpoint=x\naccessKeySecret=topsecret\n"): "has no accessKeyID",
		write("nothing", "[Credentials]\n"):                                     "has no endpoint, accessKeyID, accessKeySecret",
		filepath.Join(dir, "missing"):                                           "does not exist",
	}
	for path, says := range bad {
		_, err := ReadOssutilConfig(path)
		if err == nil || !strings.Contains(err.Error(), says) || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "topsecret") {
			t.Errorf("%s: %v, want %q", path, err, says)
		}
	}
}
