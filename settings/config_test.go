package settings

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/ossdrop/ossdrop/transfer"
)

func validProfile() Profile {
	return Profile{Name: "work", Endpoint: "cn-hangzhou", Bucket: "my-bucket", AccessKeyID: "LTAIexample", Transfer: DefaultTransfer()}
}

func TestEndpointShorthand(t *testing.T) {
	cases := map[string]string{
		"cn-hangzhou":                           "https://oss-cn-hangzhou.aliyuncs.com",
		"oss-cn-hangzhou":                       "https://oss-cn-hangzhou.aliyuncs.com",
		"ap-southeast-1":                        "https://oss-ap-southeast-1.aliyuncs.com",
		"oss-cn-hangzhou.aliyuncs.com":          "https://oss-cn-hangzhou.aliyuncs.com",
		"https://oss-cn-hangzhou.aliyuncs.com/": "https://oss-cn-hangzhou.aliyuncs.com",
		"http://127.0.0.1:9000":                 "http://127.0.0.1:9000",
		"my-nas":                                "https://my-nas", // not a region: no known area code
	}
	for in, want := range cases {
		if got := EndpointURL(in); got != want {
			t.Errorf("EndpointURL(%q) = %q, want %q", in, got, want)
		}
	}
	regions := map[string]string{
		"cn-hangzhou":                                    "cn-hangzhou",
		"https://oss-cn-shanghai.aliyuncs.com":           "cn-shanghai",
		"oss-cn-beijing-internal.aliyuncs.com":           "cn-beijing",
		"https://oss-ap-southeast-1.aliyuncs.com":        "ap-southeast-1",
		"http://127.0.0.1:9000":                          "",
		"https://oss-accelerate.aliyuncs.com":            "",
		"https://oss-rg-china-mainland.aliyuncs.com":     "rg-china-mainland",
		"https://oss-cn-hangzhou-finance-1.aliyuncs.com": "cn-hangzhou-finance-1",
	}
	for in, want := range regions {
		if got := RegionOf(in); got != want {
			t.Errorf("RegionOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProfileTargetAndOptions(t *testing.T) {
	p := validProfile()
	p.SignatureV4 = true
	p.ACL = "private"
	p.StorageClass = "IA"
	p.Transfer.OnExists = "skip-identical"
	p.Transfer.LimitRate = 1 << 20
	p.Callback = &Callback{URL: "https://cb.example.com/x", Body: "bucket=${bucket}", Vars: map[string]string{"x:uid": "7"}}
	prov := NewProvider(Credentials{AccessKeyID: "id", AccessKeySecret: "s"}, SourceStored)
	tg := p.Target(prov, "http://proxy:3128")
	if tg.Endpoint != "https://oss-cn-hangzhou.aliyuncs.com" || tg.Region != "cn-hangzhou" || !tg.AuthV4 ||
		tg.Bucket != "my-bucket" || tg.Profile != "work" || tg.Proxy != "http://proxy:3128" || tg.Credentials != prov {
		t.Fatalf("Target = %+v", tg)
	}
	o := p.Options()
	if o.PartSize != 8<<20 || o.TaskNum != transfer.DefaultTaskNum || o.Jobs != transfer.DefaultJobs || !o.EnableCheckpoint || o.OnExists != transfer.SkipIdentical ||
		o.LimitRate != 1<<20 || o.Meta.ACL != "private" || o.Meta.StorageClass != "IA" {
		t.Fatalf("Options = %+v", o)
	}
	if o.Callback == nil || o.Callback.URL != p.Callback.URL || o.Callback.Vars["x:uid"] != "7" {
		t.Fatalf("Callback = %+v", o.Callback)
	}
	// The options own their copy of the vars.
	o.Callback.Vars["x:uid"] = "8"
	if p.Callback.Vars["x:uid"] != "7" {
		t.Fatal("Options shares the callback vars map with the profile")
	}
}

// fieldErr runs Validate on a modified valid profile and returns the single
// FieldError it must produce.
func fieldErr(t *testing.T, mod func(*Profile)) *FieldError {
	t.Helper()
	p := validProfile()
	mod(&p)
	err := p.Validate()
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("Validate() = %v, want a *FieldError", err)
	}
	if fe.Profile != p.Name {
		t.Errorf("error does not name the profile: %v", err)
	}
	return fe
}

func TestValidationMessages(t *testing.T) {
	if err := validProfile().Validate(); err != nil {
		t.Fatalf("valid profile: %v", err)
	}
	long := strings.Repeat("a", 1023)
	cases := []struct {
		name  string
		mod   func(*Profile)
		field string
		says  string
	}{
		{"empty name", func(p *Profile) { p.Name = " " }, "name", "needs a name"},
		{"slash in name", func(p *Profile) { p.Name = "a/b" }, "name", "'/'"},
		{"no endpoint", func(p *Profile) { p.Endpoint = "" }, "endpoint", "required"},
		{"ftp endpoint", func(p *Profile) { p.Endpoint = "ftp://example.com" }, "endpoint", `scheme "ftp"`},
		{"plain http remote", func(p *Profile) { p.Endpoint = "http://oss.example.com" }, "endpoint", "unencrypted"},
		{"endpoint path", func(p *Profile) { p.Endpoint = "https://oss.example.com/bucket" }, "endpoint", "path"},
		{"endpoint user", func(p *Profile) { p.Endpoint = "https://u:p@oss.example.com" }, "endpoint", "user name or password"},
		{"endpoint query", func(p *Profile) { p.Endpoint = "https://oss.example.com?a=1" }, "endpoint", "query"},
		{"bucket empty", func(p *Profile) { p.Bucket = "" }, "bucket", "required"},
		{"bucket short", func(p *Profile) { p.Bucket = "ab" }, "bucket", "3 to 63 characters long (it has 2)"},
		{"bucket long", func(p *Profile) { p.Bucket = strings.Repeat("a", 64) }, "bucket", "3 to 63"},
		{"bucket upper", func(p *Profile) { p.Bucket = "My-bucket" }, "bucket", "'M' at position 1"},
		{"bucket underscore", func(p *Profile) { p.Bucket = "my_bucket" }, "bucket", "'_' at position 3"},
		{"bucket hyphen start", func(p *Profile) { p.Bucket = "-bucket" }, "bucket", "start and end"},
		{"bucket hyphen end", func(p *Profile) { p.Bucket = "bucket-" }, "bucket", "start and end"},
		{"prefix slash", func(p *Profile) { p.Prefix = "/photos/" }, "prefix", "must not start with '/'"},
		{"prefix backslash", func(p *Profile) { p.Prefix = `\photos` }, "prefix", "must not start with"},
		{"prefix utf8", func(p *Profile) { p.Prefix = "a\xffb" }, "prefix", "UTF-8"},
		{"prefix long", func(p *Profile) { p.Prefix = long }, "prefix", "1023 bytes"},
		{"prefix control", func(p *Profile) { p.Prefix = "a\nb/" }, "prefix", "control"},
		{"prefix dotdot", func(p *Profile) { p.Prefix = "a/../b/" }, "prefix", `".."`},
		{"v4 without region", func(p *Profile) { p.Endpoint = "https://oss.example.com"; p.SignatureV4 = true }, "region", "signature V4 needs a region"},
		{"region form", func(p *Profile) { p.Region = "oss-cn-hangzhou" }, "region", "without the \"oss-\" prefix"},
		{"acl", func(p *Profile) { p.ACL = "secret" }, "ACL", "private, public-read"},
		{"storage class", func(p *Profile) { p.StorageClass = "Cold" }, "storage class", "Standard, IA"},
		{"part size small", func(p *Profile) { p.Transfer.PartSize = 100*1024 - 1 }, "part size", "between 100 KiB and 5 GiB"},
		{"part size big", func(p *Profile) { p.Transfer.PartSize = 5<<30 + 1 }, "part size", "between 100 KiB and 5 GiB"},
		{"tasknum zero", func(p *Profile) { p.Transfer.TaskNum = 0 }, "TaskNum", fmt.Sprintf("between 1 and %d", transfer.MaxTaskNum)},
		{"tasknum big", func(p *Profile) { p.Transfer.TaskNum = transfer.MaxTaskNum + 1 }, "TaskNum", fmt.Sprintf("between 1 and %d", transfer.MaxTaskNum)},
		{"jobs zero", func(p *Profile) { p.Transfer.Jobs = 0 }, "jobs", "between 1 and 64"},
		{"jobs big", func(p *Profile) { p.Transfer.Jobs = 65 }, "jobs", "between 1 and 64"},
		{"limit", func(p *Profile) { p.Transfer.LimitRate = -1 }, "bandwidth limit", "positive"},
		{"threshold", func(p *Profile) { p.Transfer.MultipartThreshold = 6 << 30 }, "multipart threshold", "5 GiB"},
		{"on exists", func(p *Profile) { p.Transfer.OnExists = "replace" }, "on exists", "overwrite, skip"},
		{"checkpoint dir", func(p *Profile) { p.Transfer.CheckpointDir = "rel/dir" }, "checkpoint directory", "absolute"},
		{"callback url", func(p *Profile) { p.Callback = &Callback{URL: "ftp://x"} }, "callback URL", "http:// or https://"},
		{"callback too many", func(p *Profile) { p.Callback = &Callback{URL: "http://a;http://b;http://c;http://d;http://e;http://f"} }, "callback URL", "at most 5"},
		{"callback body type", func(p *Profile) { p.Callback = &Callback{URL: "http://a", BodyType: "text/xml"} }, "callback body type", "application/json"},
		{"callback var", func(p *Profile) { p.Callback = &Callback{URL: "http://a", Vars: map[string]string{"uid": "1"}} }, "callback variable", `"x:"`},
		{"callback no url", func(p *Profile) { p.Callback = &Callback{Body: "a=b"} }, "callback URL", "required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fe := fieldErr(t, c.mod)
			if !strings.HasPrefix(fe.Field, c.field) {
				t.Errorf("field = %q, want %q (%v)", fe.Field, c.field, fe)
			}
			if !strings.Contains(fe.Error(), c.says) {
				t.Errorf("message %q does not say %q", fe.Error(), c.says)
			}
		})
	}
}

func TestValidationAccepts(t *testing.T) {
	ok := []func(*Profile){
		func(p *Profile) { p.Endpoint = "http://127.0.0.1:9000" },
		func(p *Profile) { p.Endpoint = "http://localhost:9000" },
		func(p *Profile) { p.Endpoint = "http://[::1]:9000" },
		func(p *Profile) { p.Endpoint = "http://minio.lan:9000"; p.AllowHTTP = true },
		func(p *Profile) { p.Bucket = "a-1"; p.Prefix = "照片/2024/" },
		func(p *Profile) { p.Bucket = strings.Repeat("b", 63) },
		func(p *Profile) { p.Prefix = strings.Repeat("p", 1022) },
		func(p *Profile) {
			p.Transfer.PartSize = 100 * 1024
			p.Transfer.TaskNum = transfer.MaxTaskNum
			p.Transfer.Jobs = transfer.MaxJobs
		},
		func(p *Profile) { p.Transfer.PartSize = 5 << 30 },
		func(p *Profile) { p.SignatureV4 = true }, // region from the shorthand
		func(p *Profile) {
			p.Callback = &Callback{URL: "https://a/cb;http://b/cb", BodyType: "application/json", Vars: map[string]string{"x:a": "1"}}
		},
	}
	for i, mod := range ok {
		p := validProfile()
		mod(&p)
		if err := p.Validate(); err != nil {
			t.Errorf("case %d: %v", i, err)
		}
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	p := validProfile()
	p.Bucket = "B"
	p.Transfer.TaskNum = 0
	p.Transfer.PartSize = 1
	err := p.Validate()
	var ve *ValidationErrors
	if !errors.As(err, &ve) || len(ve.Errs) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
	for _, e := range ve.Errs {
		var fe *FieldError
		if !errors.As(e, &fe) || fe.Profile != "work" {
			t.Errorf("problem %v does not name the profile", e)
		}
	}
}

func TestConfigPutRemove(t *testing.T) {
	c := Defaults()
	if p, ok := c.Default(); !ok || !p.Local || p.Name != LocalProfileName {
		t.Fatalf("first launch default = %+v", p)
	}
	if err := c.Put(validProfile()); err != nil {
		t.Fatal(err)
	}
	bad := validProfile()
	bad.Bucket = "X"
	if err := c.Put(bad); err == nil {
		t.Fatal("Put accepted an invalid profile")
	}
	if p, _ := c.Profile("work"); p.Bucket != "my-bucket" {
		t.Fatal("invalid Put replaced the profile")
	}
	c.DefaultProfile = "work"
	if !c.Remove("work") || c.Remove("work") {
		t.Fatal("Remove result wrong")
	}
	if c.DefaultProfile != LocalProfileName {
		t.Fatalf("default after removal = %q", c.DefaultProfile)
	}
	c.Profiles = append(c.Profiles, validProfile(), validProfile())
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "two profiles have this name") {
		t.Fatalf("duplicate names: %v", err)
	}
}

func FuzzValidate(f *testing.F) {
	for _, s := range []string{"cn-hangzhou", "my-bucket", "photos/2024/", "http://127.0.0.1:9000", "https://u:p@x", "-a-", "/x", "a/../b", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateBucket(s) == nil {
			if err := oss.CheckBucketName(s); err != nil {
				t.Fatalf("accepted bucket %q that the SDK refuses: %v", s, err)
			}
		}
		if ValidatePrefix(s) == nil && s != "" {
			if !utf8.ValidString(s) || s[0] == '/' || s[0] == '\\' || len(s) >= MaxPrefixBytes {
				t.Fatalf("accepted prefix %q", s)
			}
		}
		if ValidateEndpoint(s, false) == nil {
			u, err := url.Parse(EndpointURL(s))
			if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && !transfer.IsLoopbackHost(u.Hostname())) {
				t.Fatalf("accepted endpoint %q → %q", s, EndpointURL(s))
			}
		}
	})
}

func TestEndpointErrorsHidePasswords(t *testing.T) {
	for _, e := range []string{"https://user:hunter2@host/%zz", "ftp://user:hunter2@host", "https://user:hunter2@host", "http://user:hunter2@example.com"} {
		err := ValidateEndpoint(e, false)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: %v", e, err)
		}
	}
}
